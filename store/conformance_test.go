package store

import (
	"context"
	"log/slog"
	"testing"

	"github.com/keygate/keygate/internal/testenv"
)

// conformance is the suite every backend passes: the Store's whole contract,
// through the Store, so that the bbolt file and PostgreSQL behave alike.
var conformance = []struct {
	name string
	run  func(t *testing.T, open opener)
}{
	{"AddAndLoadCredential", testAddAndLoadCredential},
	{"CredentialsOrderedByCreation", testCredentialsOrderedByCreation},
	{"AddCredentialRejections", testAddCredentialRejections},
	{"AddFirstCredential", testAddFirstCredential},
	{"AddFirstCredentialRace", testAddFirstCredentialRace},
	{"DescriptionsUniqueByCaseFolding", testDescriptionsUniqueByCaseFolding},
	{"RenameCredential", testRenameCredential},
	{"DeleteCredential", testDeleteCredential},
	{"DeleteUserCredentials", testDeleteUserCredentials},
	{"UpdateAfterLogin", testUpdateAfterLogin},
	{"SignCounterRace", testSignCounterRace},
	{"UpdateAfterLoginZeroCounters", testUpdateAfterLoginZeroCounters},
	{"CloneWarning", testCloneWarning},
	{"InviteLifecycle", testInviteLifecycle},
	{"EnrollCredentialAllOrNothing", testEnrollCredentialAllOrNothing},
	{"InviteUnknownAndInvalid", testInviteUnknownAndInvalid},
	{"InviteExpiry", testInviteExpiry},
	{"InviteSingleUseUnderConcurrency", testInviteSingleUseUnderConcurrency},
	{"Audit", testAudit},
	{"PruneAuditDropsOnlyOlderEvents", testPruneAuditDropsOnlyOlderEvents},
	{"AuditQueryFilters", testAuditQueryFilters},
	{"AuditCutsLongUserAgents", testAuditCutsLongUserAgents},
	{"CanceledContext", testCanceledContext},
	{"UserHandle", testUserHandle},
	{"UserHandleConcurrentCreation", testUserHandleConcurrentCreation},
	{"ExportLoadRoundTrip", testExportLoadRoundTrip},
	{"LoadRefusesNonEmpty", testLoadRefusesNonEmpty},
	{"Tokens", testTokens},
	{"ServerKey", testServerKey},
	{"ServerKeyConcurrentCreation", testServerKeyConcurrentCreation},
}

func runConformance(t *testing.T, open opener) {
	for _, tc := range conformance {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open) })
	}
}

func TestConformanceBolt(t *testing.T) {
	runConformance(t, openBolt)
}

func TestConformancePostgres(t *testing.T) {
	pg := testenv.StartPostgres(t)
	runConformance(t, openPostgresTest(pg))
}

// openPostgresTest opens stores, each in a fresh database of pg.
func openPostgresTest(pg *testenv.Postgres) opener {
	return func(t *testing.T) (*Store, *clock) {
		t.Helper()
		s, err := Open(context.Background(), postgresConfig(pg, pg.NewDatabase(t)), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return withClock(s)
	}
}

func postgresConfig(pg *testenv.Postgres, database string) Config {
	return Config{Postgres: PostgresConfig{
		Address: pg.Addr, Database: database, Username: pg.User, Password: pg.Password,
	}}
}
