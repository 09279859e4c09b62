package e2e

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestFaultDataFile damages the data file of a daemon that signed users in, then
// starts it again: each damage is refused at start with an error naming the file
// and a backup, never a crash nor a new, empty database.
func TestFaultDataFile(t *testing.T) {
	// Each damage falls inside the pages the file uses (bbolt grows a file
	// ahead of its data, so cutting its tail may remove nothing in use).
	damages := []struct {
		name   string
		damage func(t *testing.T, db string, m boltMeta)
		want   string
	}{
		{"empty", func(t *testing.T, db string, _ boltMeta) { truncate(t, db, 0) }, "empty (0 bytes)"},
		{"one page short", func(t *testing.T, db string, m boltMeta) { truncate(t, db, m.used()-4096) }, "truncated"},
		{"halved", func(t *testing.T, db string, m boltMeta) { truncate(t, db, m.used()/2) }, "truncated"},
		{"root page overwritten", func(t *testing.T, db string, m boltMeta) { scribble(t, db, int64(m.root)) }, "damaged"},
		{"headers overwritten", func(t *testing.T, db string, _ boltMeta) { scribble(t, db, 0); scribble(t, db, 1) }, "neither header page"},
	}
	for _, tt := range damages {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			config, addr := writeDaemonConfig(t, dir, "")
			d := startDaemon(t, dir, config, addr)
			for range 5 { // write sessions into the file
				directLogin(t, addr, alice)
			}
			_ = d.cmd.Process.Signal(syscall.SIGTERM)
			if err := d.wait(t, 30*time.Second); err != nil {
				t.Fatalf("keygate exited with %v\n%s", err, d.log)
			}
			db := filepath.Join(dir, "keygate.db")
			tt.damage(t, db, readBoltMeta(t, db))
			wantRefusedAtStart(t, dir, config, addr, db, tt.want, "backup")
		})
	}
}

// TestFaultDataDir covers the places a data file cannot be used: another daemon
// holds it, its directory is read-only, the disk is full.
func TestFaultDataDir(t *testing.T) {
	t.Run("second daemon", func(t *testing.T) {
		dir := t.TempDir()
		config, addr := writeDaemonConfig(t, dir, "")
		startDaemon(t, dir, config, addr)
		start := time.Now()
		wantRefusedAtStart(t, dir, config, loopback(t), "locked by another keygate process")
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("the second daemon took %v to refuse, want about a second", took)
		}
	})
	t.Run("read-only data dir", func(t *testing.T) {
		dir := t.TempDir()
		config, addr := writeDaemonConfig(t, dir, "")
		data := filepath.Join(dir, "ro")
		if err := os.Mkdir(data, 0o700); err != nil {
			t.Fatal(err)
		}
		rewrite(t, config, "storage: {path: "+dir+"/keygate.db}", "storage: {path: "+data+"/keygate.db}")
		readOnlyMount(t, data)
		wantRefusedAtStart(t, dir, config, addr, data+"/keygate.db", "read-only file system")
	})
	t.Run("disk full", func(t *testing.T) {
		dir := t.TempDir()
		config, addr := writeDaemonConfig(t, dir, "")
		data := filepath.Join(dir, "small")
		if err := os.Mkdir(data, 0o700); err != nil {
			t.Fatal(err)
		}
		rewrite(t, config, "storage: {path: "+dir+"/keygate.db}", "storage: {path: "+data+"/keygate.db}")
		tinyMount(t, data, "16k")
		wantRefusedAtStart(t, dir, config, addr, data+"/keygate.db", "no space left on device")
	})
}

// boltMeta is what the damages need of a bbolt file's newest header page.
type boltMeta struct {
	pageSize  uint64
	root, hwm uint64 // the root bucket's page; the pages in use
	txid      uint64
}

// used is the number of bytes of the file that hold pages in use.
func (m boltMeta) used() int64 { return int64(m.hwm * m.pageSize) }

// readBoltMeta reads the newest of the two header pages of the bbolt file at
// path (pages of 4096 bytes, as on this machine): after the 16-byte page
// header come magic, version, page size and flags (4 bytes each), then the
// root bucket's page and sequence, the freelist page, the high-water mark and
// the transaction ID (8 bytes each).
func readBoltMeta(t *testing.T, path string) boltMeta {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var best boltMeta
	for _, off := range []int{0, 4096} {
		b := data[off+16:]
		le := binary.LittleEndian
		m := boltMeta{pageSize: uint64(le.Uint32(b[8:])), root: le.Uint64(b[16:]), hwm: le.Uint64(b[40:]), txid: le.Uint64(b[48:])}
		if le.Uint32(b[0:]) == 0xED0CDAED && m.pageSize == 4096 && m.txid >= best.txid {
			best = m
		}
	}
	if best.pageSize == 0 || best.hwm < 4 || best.root < 2 || best.root >= best.hwm {
		t.Fatalf("%s: no usable bbolt header page (%+v)", path, best)
	}
	return best
}

func truncate(t *testing.T, path string, size int64) {
	t.Helper()
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
}

// scribble overwrites page n (of 4096 bytes) of path with a pattern.
func scribble(t *testing.T, path string, n int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for i := range buf {
		buf[i] = byte(i*31) ^ 0x5a
	}
	if _, err := f.WriteAt(buf, n*4096); err != nil {
		t.Fatal(err)
	}
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// rewrite replaces old with new in the file at path, failing when old is missing.
func rewrite(t *testing.T, path, old, new string) {
	t.Helper()
	text := readText(t, path)
	if !containsString(text, old) {
		t.Fatalf("%s lacks %q", path, old)
	}
	writeFile(t, path, replaceString(text, old, new))
}

// readOnlyMount bind-mounts dir read-only on itself (root, as the tests run, ignores
// file modes), and undoes it when the test ends.
func readOnlyMount(t *testing.T, dir string) {
	t.Helper()
	if err := syscall.Mount(dir, dir, "", syscall.MS_BIND, ""); err != nil {
		t.Fatalf("bind-mounting %s: %v", dir, err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	if err := syscall.Mount("", dir, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
		t.Fatalf("remounting %s read-only: %v", dir, err)
	}
}

// tinyMount mounts a tmpfs of size on dir, too small for a new database.
func tinyMount(t *testing.T, dir, size string) {
	t.Helper()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Fatalf("mounting a %s tmpfs on %s: %v", size, dir, err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
}
