package sqldb

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// createPrivateFile creates the SQLite database file readable and writable
// by its owner only (0600, whatever the umask), unless it exists already:
// it holds encrypted tokens, sessions and mail metadata. SQLite gives the
// -wal and -shm files it makes beside it the same mode.
func createPrivateFile(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("create the SQLite database %s: %w", path, err)
	}
	if err := f.Chmod(0o600); err != nil { // the umask may have taken bits away, never added
		f.Close()
		return err
	}
	return f.Close()
}

// privateSidecars makes the -wal and -shm files of a database file that is
// private (no group or other bits) private too.
func privateSidecars(path string) {
	if path == "" {
		return
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm()&0o077 != 0 {
		return
	}
	for _, f := range []string{path + "-wal", path + "-shm"} {
		_ = os.Chmod(f, 0o600)
	}
}
