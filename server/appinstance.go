package server

import (
	"strings"

	"github.com/zerosmb/zerosmb/smb2"
)

// Application instances (MS-SMB2 3.3.5.9.13, SMB 3.x): a CREATE with DH2Q
// and SMB2_CREATE_APP_INSTANCE_ID names the application instance it opens
// for. When a client with another ClientGuid (the application restarted on
// another cluster node) opens the same path of the same share for the same
// AppInstanceId, the old open is closed first, connected or disconnected,
// without a break, so the new one is not stopped by its share mode or
// caching. On 3.1.1 SMB2_CREATE_APP_INSTANCE_VERSION may refuse the
// takeover (STATUS_FILE_FORCED_CLOSED) when the old open's version is not
// older. The old client's next request on its handle gets
// STATUS_FILE_CLOSED.

// appInstanceRequest is what a CREATE's app instance contexts ask.
type appInstanceRequest struct {
	id         [16]byte
	version    smb2.AppInstanceVersion
	hasVersion bool
}

// appInstance is the app instance of an open (nil: none).
type appInstance struct {
	appInstanceRequest
	client [16]byte // ClientGuid of the connection that opened it
}

// parseAppInstance reads the app instance contexts of req (nil when
// absent or not applicable: only with DH2Q on 3.x).
func (c *conn) parseAppInstance(req *smb2.CreateRequest, dur *durableRequest) (*appInstanceRequest, smb2.Status) {
	b, ok := req.Context(smb2.CreateContextAppInstanceID)
	if !ok || dur.version != 2 || c.dialect < smb2.Dialect300 {
		return nil, smb2.StatusSuccess
	}
	id, err := smb2.DecodeAppInstanceID(b)
	if err != nil {
		return nil, smb2.StatusInvalidParameter
	}
	a := &appInstanceRequest{id: id}
	if vb, ok := req.Context(smb2.CreateContextAppInstanceVersion); ok && c.dialect == smb2.Dialect311 {
		v, err := smb2.DecodeAppInstanceVersion(vb)
		if err != nil {
			return nil, smb2.StatusInvalidParameter
		}
		a.version, a.hasVersion = v, true
	}
	return a, smb2.StatusSuccess
}

// takeOverAppInstance closes the opens of a's application instance on
// (share, path, stream) held by other clients before a new open is made.
func (c *conn) takeOverAppInstance(a *appInstanceRequest, share *Share, path, stream string) smb2.Status {
	olds, st := c.srv.state.appInstanceOpens(a, share, path, stream, c.clientGUID)
	if st != smb2.StatusSuccess {
		return st
	}
	for _, o := range olds {
		c.srv.closeElsewhere(o)
	}
	return smb2.StatusSuccess
}

// closeElsewhere closes o, which may belong to another connection or to
// none (a disconnected durable or resilient open).
func (s *Server) closeElsewhere(o *open) {
	if s.state.purgeDisconnected(o) {
		return
	}
	o.mu.Lock()
	sess := o.sess
	o.mu.Unlock()
	if sess == nil || sess.c == nil {
		return
	}
	sess.c.removeOpen(o)
	if err := sess.c.closeOpen(o); err != nil {
		sess.c.log.Debug("closing an open taken over by its app instance", "err", err)
	}
}

// appInstanceOpens implements stateStore.appInstanceOpens.
func (t *nodeTable) appInstanceOpens(a *appInstanceRequest, share *Share, path, stream string, client [16]byte) ([]*open, smb2.Status) {
	t.lmu.Lock()
	defer t.lmu.Unlock()
	var olds []*open
	for _, o := range t.apps[a.id] {
		if o.app.client == client || o.stream != stream || !strings.EqualFold(o.name, path) ||
			o.tree == nil || !strings.EqualFold(o.tree.share.Name, share.Name) {
			continue
		}
		if a.hasVersion && o.app.hasVersion && o.app.version != (smb2.AppInstanceVersion{}) &&
			(o.app.version.High > a.version.High || o.app.version.High == a.version.High && o.app.version.Low >= a.version.Low) {
			return nil, smb2.StatusFileForcedClosed
		}
		olds = append(olds, o)
	}
	return olds, smb2.StatusSuccess
}

// setAppInstance implements stateStore.setAppInstance.
func (t *nodeTable) setAppInstance(o *open, a *appInstanceRequest, client [16]byte) {
	if a == nil || o.isDir {
		return
	}
	t.lmu.Lock()
	defer t.lmu.Unlock()
	o.app = &appInstance{appInstanceRequest: *a, client: client}
	t.apps[a.id] = append(t.apps[a.id], o)
}

// forgetAppInstance drops o from the app instance table. lmu held.
func (t *nodeTable) forgetAppInstance(o *open) {
	if o.app == nil {
		return
	}
	list := t.apps[o.app.id]
	for i, x := range list {
		if x == o {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(t.apps, o.app.id)
	} else {
		t.apps[o.app.id] = list
	}
}
