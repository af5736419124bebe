package server

import (
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stateImpl lists the types whose methods implement the state store; only
// they (and the free functions of stateImplFiles) may touch a node's
// fields.
var stateImpl = map[string]bool{"nodeTable": true, "node": true, "kernelLeases": true, "admitScan": true}

// stateImplFiles hold the in-process state store.
var stateImplFiles = map[string]bool{"node.go": true, "oplock.go": true, "lease.go": true, "dirlease.go": true,
	"durable.go": true, "resilient.go": true, "locktable.go": true, "kernlease.go": true, "kernlease_linux.go": true,
	"kernlease_other.go": true}

// TestHandlersUseStateStore checks the stateStore promise (state.go):
// outside the store's implementation no code reads or writes a field of
// a node (share modes, delete-pending, locks, caching) or takes its
// mutex; handlers go through the interface.
func TestHandlersUseStateStore(t *testing.T) {
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		if ok, err := build.Default.MatchFile(".", name); err != nil || !ok {
			continue // another GOOS, or build tags
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	conf := types.Config{Importer: importer.ForCompiler(fset, "source", nil)}
	info := &types.Info{Selections: map[*ast.SelectorExpr]*types.Selection{}}
	pkg, err := conf.Check("github.com/zerosmb/zerosmb/server", fset, files, info)
	if err != nil {
		t.Fatalf("type-checking the package: %v", err)
	}
	nodeType := pkg.Scope().Lookup("node").Type()
	checked := 0
	for _, f := range files {
		file := filepath.Base(fset.Position(f.Pos()).Filename)
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			if fd.Recv != nil && stateImpl[recvName(fd.Recv.List[0].Type)] {
				continue
			}
			if fd.Recv == nil && stateImplFiles[file] {
				continue
			}
			checked++
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				se, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				sel := info.Selections[se]
				if sel == nil || sel.Kind() != types.FieldVal {
					return true
				}
				recv := sel.Recv()
				if p, ok := recv.(*types.Pointer); ok {
					recv = p.Elem()
				}
				if types.Identical(recv, nodeType) && se.Sel.Name != "key" {
					t.Errorf("%s: %s touches node.%s outside the state store", fset.Position(se.Pos()), fd.Name.Name, se.Sel.Name)
				}
				return true
			})
		}
	}
	if checked < 100 {
		t.Fatalf("only %d functions checked; the scan is broken", checked)
	}
}

// recvName is the type name of a method receiver expression.
func recvName(e ast.Expr) string {
	if s, ok := e.(*ast.StarExpr); ok {
		e = s.X
	}
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}
