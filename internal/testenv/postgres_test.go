package testenv

import "testing"

func TestStartPostgres(t *testing.T) {
	pg := StartPostgres(t)
	db := pg.NewDatabase(t)
	pg.Exec(t, db, "CREATE TABLE t (n int); INSERT INTO t VALUES (41), (1)")
	if got, want := pg.Exec(t, db, "SELECT sum(n) FROM t"), "42"; got != want {
		t.Errorf("sum = %q, want %q", got, want)
	}
	if got, want := pg.Exec(t, db, "SELECT current_setting('listen_addresses')"), "127.0.0.1"; got != want {
		t.Errorf("listen_addresses = %q, want %q", got, want)
	}
}
