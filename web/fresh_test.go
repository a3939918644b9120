package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// sourceHash mirrors scripts/source-hash.mjs: the hash of everything the
// export is built from.
func sourceHash(tb testing.TB) string {
	tb.Helper()
	dirs := []string{"app", "components", "lib", "public", "scripts"}
	files := []string{"package.json", "package-lock.json", "next.config.mjs", "tsconfig.json"}
	isTest := regexp.MustCompile(`\.test\.(ts|tsx|js|mjs)$`)
	var list []string
	for _, d := range dirs {
		if _, err := os.Stat(d); err != nil {
			continue
		}
		err := filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel := filepath.ToSlash(p)
			if e.Type().IsRegular() && !isTest.MatchString(rel) {
				list = append(list, rel)
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			list = append(list, f)
		}
	}
	sort.Strings(list)
	h := sha256.New()
	for _, rel := range list {
		b, err := os.ReadFile(filepath.FromSlash(rel))
		if err != nil {
			tb.Fatal(err)
		}
		sum := sha256.Sum256(b)
		fmt.Fprintf(h, "%s\x00%s\n", rel, hex.EncodeToString(sum[:]))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// The committed export must be built from the committed sources.
func TestExportIsFresh(t *testing.T) {
	if _, err := os.Stat("package.json"); err != nil {
		t.Skip("web sources not present")
	}
	committed := strings.TrimSpace(string(mustRead(t, "_source_hash")))
	if got := sourceHash(t); got != committed {
		t.Fatalf("web/out is stale: the sources hash to %s, the export was built from %s.\n"+
			"Run `npm --prefix web run export` (or `make web`) and commit web/out.", got, committed)
	}
}

// First load of the inbox must ship under 250 KB of gzipped JavaScript.
func TestInboxFirstLoadBudget(t *testing.T) {
	budget := 250 * 1024
	if v := os.Getenv("JARVIS_INBOX_JS_BUDGET_KB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatal(err)
		}
		budget = n * 1024
	}
	gz := func(b []byte) int {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(b)
		zw.Close()
		return buf.Len()
	}
	total := 0
	for _, s := range inlineAndExternalScripts(t, mustRead(t, "index.html")) {
		switch {
		case s.nomodule:
		case s.src != "":
			total += gz(mustRead(t, strings.TrimPrefix(strings.SplitN(s.src, "?", 2)[0], "/")))
		default:
			total += gz([]byte(s.text))
		}
	}
	t.Logf("inbox first-load JS: %.1f KB gzipped", float64(total)/1024)
	if total > budget {
		t.Fatalf("inbox first-load JS is %d bytes gzipped, over the %d budget", total, budget)
	}
}
