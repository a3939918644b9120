//go:build !unix

package sandbox

import (
	"fmt"
	"os"
)

// lockState opens path+".lock"; without flock the lock is advisory only.
func lockState(path string) (*os.File, error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sandbox: state file lock %s.lock: %w", path, err)
	}
	return f, nil
}

func unlockState(f *os.File) { f.Close() }
