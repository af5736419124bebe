module github.com/zerosmb/zerosmb

go 1.26.8

require (
	github.com/BurntSushi/toml v1.6.0
	github.com/hirochachacha/go-smb2 v1.1.0
	golang.org/x/crypto v0.59.0
	golang.org/x/sys v0.50.0
)

require github.com/geoffgarside/ber v1.1.0 // indirect
