package ui

import (
	"context"
	"strings"
	"time"

	"github.com/keygate/keygate/session"
)

// codeLimit decides whether one more identity code may be sent to a user:
// at most codesPerWindow within any codeWindow.
type codeLimit interface {
	allow(ctx context.Context, user string) (bool, error)
}

var (
	_ codeLimit = (*sendLimiter)(nil)
	_ codeLimit = sharedSendLimit{}
)

// sharedSendLimit counts in the window every replica shares, so that three
// replicas behind round robin do not send three times the codes.
type sharedSendLimit struct{ w session.Window }

func (l sharedSendLimit) allow(ctx context.Context, user string) (bool, error) {
	return l.w.Admit(ctx, "codes-sent:"+strings.ToLower(user), codesPerWindow, codeWindow)
}

// codeLimit is the shared limit when the sessions' store is shared, and a
// count in this process's memory otherwise.
func (d dependencies) codeLimit(now func() time.Time) codeLimit {
	if d.window != nil {
		return sharedSendLimit{d.window}
	}
	return newSendLimiter(now)
}
