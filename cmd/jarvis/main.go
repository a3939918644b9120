// Command jarvis runs Jarvis, a self-hosted AI executive assistant, and the
// tools that go with it: migrations, tokens for scripts, key management, the
// local Google sandbox and a terminal chat.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `Usage: jarvis <command> [flags]

Commands:
  serve      run the HTTP API and dashboard (--sandbox for the offline demo, --migrate to migrate first)
  migrate    up | down | status
  token      print an access token for a user: token --email EMAIL [--ttl 1h]
  keys       generate [--id ID] | rotate
  sandbox    run the local Google (OAuth, Gmail, Calendar) and sandbox model on their own
  chat       talk to a running Jarvis from the terminal
  mcp        --stdio: serve MCP on stdin/stdout for a local client, with a running Jarvis's tools (JARVIS_URL, JARVIS_TOKEN)
  version    print the version

Configuration comes from the environment (see .env.example); every option
also has a flag: jarvis serve -h lists them. jarvis COMMAND -h explains a command.
`

func main() {
	ctx, stop := signalContext()
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.LookupEnv)
	if errors.Is(err, errHelpShown) {
		return
	}
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "jarvis:", err)
		os.Exit(1)
	}
}

// errInterrupted is the cause of a stop by Ctrl-C (SIGINT), as opposed to
// SIGTERM from a process manager.
var errInterrupted = errors.New("interrupted")

// signalContext is cancelled by the first SIGINT or SIGTERM, its cause
// errInterrupted for SIGINT; a second signal then ends the process at once.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-sigs:
			signal.Stop(sigs)
			if s == os.Interrupt {
				cancel(errInterrupted)
			} else {
				cancel(context.Canceled)
			}
		case <-ctx.Done():
		}
	}()
	return ctx, func() { signal.Stop(sigs); cancel(nil) }
}

// env looks up an environment variable.
type env func(string) (string, bool)

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, lookup env) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, stdout, stderr, lookup)
	case "migrate":
		return runMigrate(ctx, rest, stdout, stderr, lookup)
	case "token":
		return runToken(ctx, rest, stdout, stderr, lookup)
	case "keys":
		return runKeys(ctx, rest, stdout, stderr, lookup)
	case "sandbox":
		return runSandbox(ctx, rest, stdout, stderr, lookup)
	case "chat":
		return runChat(ctx, rest, stdin, stdout, stderr, lookup)
	case "mcp":
		return runMCP(ctx, rest, stdin, stdout, stderr, lookup)
	case "version", "--version", "-version":
		return runVersion(stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
