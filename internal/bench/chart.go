//go:build linux

package bench

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"slices"
	"strings"
)

var serverColors = map[string]color.RGBA{
	ServerZeroSMB:       {0x1f, 0x77, 0xb4, 0xff},
	ServerZeroSMBCopy:   {0x9e, 0xc5, 0xe8, 0xff},
	ServerSambaSendfile: {0xd6, 0x27, 0x28, 0xff},
	ServerSamba:         {0xf4, 0xa5, 0x82, 0xff},
	ServerFloorZC:       {0x2c, 0xa0, 0x2c, 0xff},
	ServerFloorCopy:     {0xa6, 0xd8, 0x96, 0xff},
}

// Chart geometry in pixels.
const (
	barW, gap, left, panelH, top, scale = 12, 24, 70, 250, 60, 2
)

// panelKey selects one chart panel: protection and client count.
type panelKey struct {
	prot    Protection
	clients int
}

// WriteChart draws server CPU s/GiB (median bars, min–max whiskers) grouped
// by direction and I/O size, one panel per signing/clients combination.
func WriteChart(w io.Writer, st []Stat) error {
	var panels []panelKey
	var servers []string
	for _, s := range st {
		k := panelKey{s.Case.Prot, s.Case.Clients}
		if !slices.Contains(panels, k) {
			panels = append(panels, k)
		}
		if !slices.Contains(servers, s.Server) {
			servers = append(servers, s.Server)
		}
	}
	slices.SortFunc(panels, func(a, b panelKey) int {
		if a.prot != b.prot {
			return int(a.prot) - int(b.prot)
		}
		return a.clients - b.clients
	})
	slices.SortFunc(servers, func(a, b string) int {
		return slices.Index(AllServers, a) - slices.Index(AllServers, b)
	})
	groups := chartGroups(st)
	groupW := max(len(servers), 1)*barW + gap
	width := left + max(len(groups), 1)*groupW + 20
	width = max(width, 700)
	height := top + len(panels)*(panelH+60) + 10
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	fillRect(img, 0, 0, width, height, color.White)
	black := color.RGBA{0, 0, 0, 0xff}
	drawText(img, 10, 8, "SERVER CPU S/GIB (MEDIAN, MIN-MAX), LOWER IS BETTER", scale, black)
	// legend
	x := 10
	for _, s := range servers {
		fillRect(img, x, 32, 14, 14, serverColors[s])
		drawText(img, x+18, 34, s, 1, black)
		x += 18 + textWidth(s, 1) + 14
	}
	for pi, pk := range panels {
		y0 := top + pi*(panelH+60) + 20
		drawPanel(img, st, pk, groups, servers, y0)
	}
	return png.Encode(w, img)
}

// drawPanel draws one panel whose plot area starts at y0.
func drawPanel(img *image.RGBA, st []Stat, pk panelKey, groups []chartGroup, servers []string, y0 int) {
	width := img.Bounds().Dx()
	groupW := max(len(servers), 1)*barW + gap
	black := color.RGBA{0, 0, 0, 0xff}
	grey := color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
	drawText(img, left, y0-18, fmt.Sprintf("%s, %d CLIENT(S)", strings.ToUpper(pk.prot.Describe()), pk.clients), scale, black)
	ymax := 0.0
	for _, s := range st {
		if s.Case.Prot == pk.prot && s.Case.Clients == pk.clients {
			ymax = max(ymax, s.CPUMax)
		}
	}
	ymax = niceCeil(ymax)
	base := y0 + panelH
	for i := 0; i <= 4; i++ {
		v := ymax * float64(i) / 4
		yy := base - int(float64(panelH)*float64(i)/4)
		fillRect(img, left, yy, width-left-10, 1, grey)
		label := fmt.Sprintf("%.2f", v)
		drawText(img, left-6-textWidth(label, 1), yy-3, label, 1, black)
	}
	for gi, g := range groups {
		gx := left + gap/2 + gi*groupW
		for si, srv := range servers {
			c := Case{Write: g.write, IO: g.io, Prot: pk.prot, Clients: pk.clients}
			s, ok := find(st, c, srv)
			if !ok {
				continue
			}
			bx := gx + si*barW
			h := int(float64(panelH) * s.CPU / ymax)
			fillRect(img, bx, base-h, barW-2, h, serverColors[srv])
			lo := base - int(float64(panelH)*s.CPUMin/ymax)
			hi := base - int(float64(panelH)*s.CPUMax/ymax)
			fillRect(img, bx+barW/2-1, hi, 1, lo-hi+1, black)
		}
		label := g.label()
		drawText(img, gx+(len(servers)*barW-textWidth(label, 1))/2, base+6, label, 1, black)
	}
	fillRect(img, left, base, width-left-10, 1, black)
}

type chartGroup struct {
	write bool
	io    int
}

func (g chartGroup) label() string {
	d := "READ"
	if g.write {
		d = "WRITE"
	}
	return d + " " + sizeName(g.io)
}

func chartGroups(st []Stat) []chartGroup {
	var gs []chartGroup
	for _, s := range st {
		g := chartGroup{s.Case.Write, s.Case.IO}
		if !slices.Contains(gs, g) {
			gs = append(gs, g)
		}
	}
	slices.SortFunc(gs, func(a, b chartGroup) int {
		if a.write != b.write {
			if a.write {
				return 1
			}
			return -1
		}
		return a.io - b.io
	})
	return gs
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
