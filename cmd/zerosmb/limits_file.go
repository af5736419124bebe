package main

import (
	"flag"
	"fmt"
	"strconv"

	"github.com/zerosmb/zerosmb/server"
)

// File-level limits of `serve` (README "Limits and hardening"): keys of
// the config file and flags, kept together.

// fileLimits are the config keys; zero means the server's default.
type fileLimits struct {
	MaxSearchPattern     int      `toml:"max_search_pattern"`
	MaxDirStreams        int      `toml:"max_dir_streams"`
	MaxDirStreamsPerConn int      `toml:"max_dir_streams_per_conn"`
	MaxZeroFill          byteSize `toml:"max_zero_fill"`
	MaxStreamSize        byteSize `toml:"max_stream_size"`
	StrictAllocate       bool     `toml:"strict_allocate"`
	DOSAttribCache       int      `toml:"dos_attrib_cache"`
	SDCache              int      `toml:"sd_cache"`
}

// fileLimitKeys lists the keys for the unknown-key message.
const fileLimitKeys = "max_search_pattern, max_dir_streams, max_dir_streams_per_conn, max_zero_fill, max_stream_size, strict_allocate, dos_attrib_cache, sd_cache"

// fileLimitFlags are the flags' raw values.
type fileLimitFlags struct {
	searchPattern, dirStreams, dirStreamsPerConn, zeroFill, streamSize, dosCache, sdCache *string
	strictAllocate                                                                        *bool
}

// registerFileLimitFlags adds the flags to fs.
func registerFileLimitFlags(fs *flag.FlagSet) *fileLimitFlags {
	return &fileLimitFlags{
		searchPattern:     fs.String("max-search-pattern", "", ""),
		dirStreams:        fs.String("max-dir-streams", "", ""),
		dirStreamsPerConn: fs.String("max-dir-streams-per-conn", "", ""),
		zeroFill:          fs.String("max-zero-fill", "", ""),
		streamSize:        fs.String("max-stream-size", "", ""),
		strictAllocate:    fs.Bool("strict-allocate", false, ""),
		dosCache:          fs.String("dos-attrib-cache", "", ""),
		sdCache:           fs.String("sd-cache", "", ""),
	}
}

// apply copies the flags given on the command line (set) over fl.
func (f *fileLimitFlags) apply(set map[string]bool, fl *fileLimits) error {
	for _, v := range []struct {
		name string
		val  *string
		dst  *int
	}{
		{"max-search-pattern", f.searchPattern, &fl.MaxSearchPattern},
		{"max-dir-streams", f.dirStreams, &fl.MaxDirStreams},
		{"max-dir-streams-per-conn", f.dirStreamsPerConn, &fl.MaxDirStreamsPerConn},
	} {
		if !set[v.name] {
			continue
		}
		n, err := strconv.Atoi(*v.val)
		if err != nil || n < 0 {
			return fmt.Errorf("--%s %q: want a non-negative integer", v.name, *v.val)
		}
		*v.dst = n
	}
	if set["max-zero-fill"] {
		n, err := parseSize(*f.zeroFill)
		if err != nil {
			return fmt.Errorf("--max-zero-fill: %w", err)
		}
		fl.MaxZeroFill = byteSize(n)
	}
	if set["max-stream-size"] {
		n, err := parseSize(*f.streamSize)
		if err != nil {
			return fmt.Errorf("--max-stream-size: %w", err)
		}
		fl.MaxStreamSize = byteSize(n)
	}
	if set["strict-allocate"] {
		fl.StrictAllocate = *f.strictAllocate
	}
	if set["dos-attrib-cache"] {
		n, err := strconv.Atoi(*f.dosCache)
		if err != nil {
			return fmt.Errorf("--dos-attrib-cache %q: want an integer (negative: no cache)", *f.dosCache)
		}
		fl.DOSAttribCache = n
	}
	if set["sd-cache"] {
		n, err := strconv.Atoi(*f.sdCache)
		if err != nil {
			return fmt.Errorf("--sd-cache %q: want an integer (negative: no cache)", *f.sdCache)
		}
		fl.SDCache = n
	}
	return nil
}

// toConfig sets the server's limits from fl (checked by server.New).
func (fl *fileLimits) toConfig(cfg *server.Config) error {
	if fl.MaxSearchPattern < 0 || fl.MaxDirStreams < 0 || fl.MaxDirStreamsPerConn < 0 {
		return fmt.Errorf("max_search_pattern, max_dir_streams and max_dir_streams_per_conn must not be negative")
	}
	cfg.MaxSearchPattern = fl.MaxSearchPattern
	cfg.MaxDirStreams = fl.MaxDirStreams
	cfg.MaxDirStreamsPerConn = fl.MaxDirStreamsPerConn
	cfg.MaxZeroFill = int64(fl.MaxZeroFill)
	cfg.MaxStreamSize = int64(fl.MaxStreamSize)
	cfg.StrictAllocate = fl.StrictAllocate
	cfg.DOSAttribCache = fl.DOSAttribCache
	cfg.SDCache = fl.SDCache
	return nil
}
