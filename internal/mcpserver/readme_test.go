package mcpserver

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The README's tool table names every tool with its scope, and no other.
func TestReadmeListsEveryTool(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatalf("read the README: %v", err)
	}
	text := string(b)
	start, end := strings.Index(text, "## The MCP server"), strings.Index(text, "### Personal tokens")
	if start < 0 || end < start {
		t.Fatal("README has no section \"The MCP server\" followed by \"Personal tokens\"")
	}
	rows := regexp.MustCompile("(?m)^\\| ((?:`[a-z_]+`(?:, )?)+) \\| (`[a-z.]+`|—) \\|").FindAllStringSubmatch(text[start:end], -1)
	seen := map[string]string{}
	for _, r := range rows {
		scope := strings.Trim(r[2], "`")
		if scope == "—" {
			scope = ""
		}
		for _, name := range regexp.MustCompile("`([a-z_]+)`").FindAllStringSubmatch(r[1], -1) {
			seen[name[1]] = scope
		}
	}
	for name, scope := range toolScopes {
		if got, ok := seen[name]; !ok || got != scope {
			t.Errorf("README: tool %s with scope %q: got %q (listed %v)", name, scope, got, ok)
		}
	}
	for name := range seen {
		if _, ok := toolScopes[name]; !ok {
			t.Errorf("README lists %s, which is no tool", name)
		}
	}
}
