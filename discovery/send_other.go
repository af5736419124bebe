//go:build !unix

package discovery

import (
	"errors"
	"net"
)

// sendMulticast is not implemented here: browsers see changes when their
// cached records expire.
func sendMulticast(net.Interface, []byte) error {
	return errors.ErrUnsupported
}
