package ui

// Metrics counts what the portal does, for the daemon's Prometheus metrics.
// Every label value is one of a fixed few: methods and kinds are constants of
// this package and of session, results the result constants below. Deps.Metrics
// nil counts nothing.
type Metrics interface {
	// SignIn counts a sign-in attempt by method (password, passkey, webauthn).
	SignIn(method, result string)
	// Ceremony counts a finished credential ceremony by kind.
	Ceremony(kind, result string)
	// Banned counts a ban that regulation started, on a user or an address.
	Banned(scope string)
	// CodeSent counts an identity code handed to the notifier.
	CodeSent(result string)
}

// The results Metrics and the audit trail record.
const (
	resultSuccess = "success"
	resultFailure = "failure"
	resultBanned  = "banned"
	resultError   = "error"
	resultClone   = "clone_warning"
)

// The ceremony kinds Metrics counts.
const (
	ceremonyRegistration = "registration"
	ceremonyEnrollment   = "enrollment"
	ceremonyIdentity     = "identity_verification"
)

// noMetrics counts nothing.
type noMetrics struct{}

func (noMetrics) SignIn(string, string)   {}
func (noMetrics) Ceremony(string, string) {}
func (noMetrics) Banned(string)           {}
func (noMetrics) CodeSent(string)         {}
