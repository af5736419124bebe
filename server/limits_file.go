package server

import "fmt"

// Defaults of the file-level limits in Config (README "Limits and
// hardening").
const (
	DefaultMaxSearchPattern     = 255 // UTF-16 code units, as Windows
	DefaultMaxDirStreams        = 4096
	DefaultMaxDirStreamsPerConn = 64
	DefaultMaxZeroFill          = 64 << 20
	DefaultDOSAttribCache       = 65536
	DefaultSDCache              = 65536
)

// fileLimitDefaults fills in and checks the file-level limits.
func (cfg *Config) fileLimitDefaults() error {
	if cfg.MaxSearchPattern == 0 {
		cfg.MaxSearchPattern = DefaultMaxSearchPattern
	}
	if cfg.MaxDirStreams == 0 {
		cfg.MaxDirStreams = DefaultMaxDirStreams
	}
	if cfg.MaxDirStreamsPerConn == 0 {
		cfg.MaxDirStreamsPerConn = DefaultMaxDirStreamsPerConn
	}
	if cfg.MaxStreamSize == 0 || cfg.MaxStreamSize > maxFileSize {
		cfg.MaxStreamSize = maxFileSize
	}
	if cfg.DOSAttribCache == 0 {
		cfg.DOSAttribCache = DefaultDOSAttribCache
	}
	if cfg.SDCache == 0 {
		cfg.SDCache = DefaultSDCache
	}
	if cfg.MaxZeroFill == 0 {
		cfg.MaxZeroFill = DefaultMaxZeroFill
	}
	switch {
	case cfg.MaxSearchPattern < 1 || cfg.MaxSearchPattern > 32767:
		return fmt.Errorf("server: MaxSearchPattern %d outside [1, 32767]", cfg.MaxSearchPattern)
	case cfg.MaxDirStreams < 0 || cfg.MaxDirStreamsPerConn < 0:
		return fmt.Errorf("server: negative MaxDirStreams (%d) or MaxDirStreamsPerConn (%d)", cfg.MaxDirStreams, cfg.MaxDirStreamsPerConn)
	case cfg.MaxStreamSize < 0:
		return fmt.Errorf("server: negative MaxStreamSize %d", cfg.MaxStreamSize)
	case cfg.MaxZeroFill < 0:
		return fmt.Errorf("server: negative MaxZeroFill %d", cfg.MaxZeroFill)
	}
	return nil
}
