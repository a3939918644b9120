package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/jarvis-hq/jarvis/internal/config"
)

// errHelpShown reports that the help a user asked for (-h) was printed:
// the command did nothing, successfully.
var errHelpShown = errors.New("help shown")

// newFlagSet returns a silent flag set for a subcommand with a flag for each
// configuration option named by its environment variable (none when envs is
// empty). The caller adds the command's own flags and parses with parseFlags.
func newFlagSet(name string, envs ...string) *flag.FlagSet {
	flags := flag.NewFlagSet("jarvis "+name, flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	flags.Usage = func() {}
	if len(envs) > 0 {
		config.RegisterFlags(flags, envs...)
	}
	return flags
}

// parseFlags parses args. Asked for help (-h, --help), it prints synopsis
// and the flags to stdout and returns errHelpShown; a bad flag gets one line
// naming the flag and what is wrong with its value, not the whole usage.
func parseFlags(flags *flag.FlagSet, args []string, synopsis string, stdout io.Writer) error {
	flags.SetOutput(io.Discard)
	flags.Usage = func() {}
	err := flags.Parse(args)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		printUsage(stdout, flags, synopsis)
		return errHelpShown
	}
	return fmt.Errorf("%s (%s -h lists the flags)", flagError(flags, err), flags.Name())
}

var (
	invalidValue = regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for flag -(\S+): (.*)$`)
	needsValue   = regexp.MustCompile(`^flag needs an argument: -(\S+)$`)
	undefined    = regexp.MustCompile(`^flag provided but not defined: -(\S+)$`)
)

// flagError rewrites the flag package's messages in the command's words.
func flagError(flags *flag.FlagSet, err error) string {
	msg := err.Error()
	if m := invalidValue.FindStringSubmatch(msg); m != nil {
		value, name, why := m[1], m[2], m[3]
		if f := flags.Lookup(name); f != nil {
			if g, ok := f.Value.(flag.Getter); ok {
				switch g.Get().(type) {
				case time.Duration:
					why = value + " is not a duration, e.g. 15m"
				case bool:
					why = value + " is not true or false"
				case int, int64, uint, uint64:
					why = value + " is not a whole number"
				}
			}
		}
		return "--" + name + ": " + why
	}
	if m := needsValue.FindStringSubmatch(msg); m != nil {
		return "--" + m[1] + " needs a value"
	}
	if m := undefined.FindStringSubmatch(msg); m != nil {
		return "unknown flag -" + m[1]
	}
	return msg
}

// printUsage prints the synopsis and every flag with its value placeholder,
// meaning and default (aliases are named beside the flag they stand for).
func printUsage(w io.Writer, flags *flag.FlagSet, synopsis string) {
	fmt.Fprintln(w, strings.TrimRight(synopsis, "\n"))
	aliases := map[string][]string{}
	for _, o := range config.Options {
		for _, a := range o.Aliases {
			if flags.Lookup(a) != nil {
				aliases[o.Flag] = append(aliases[o.Flag], "--"+a)
			}
		}
	}
	first := true
	flags.VisitAll(func(f *flag.Flag) {
		if strings.HasPrefix(f.Usage, config.AliasUsage) {
			return
		}
		if first {
			fmt.Fprintln(w, "\nFlags:")
			first = false
		}
		name := "--" + f.Name
		var def any
		if g, ok := f.Value.(flag.Getter); ok {
			def = g.Get()
		}
		switch def.(type) {
		case bool:
		case time.Duration:
			name += " DURATION"
		default:
			name += " VALUE"
		}
		if a := aliases[f.Name]; len(a) > 0 {
			name += " (or " + strings.Join(a, ", ") + ")"
		}
		usage := f.Usage
		switch f.DefValue {
		case "", "false", "0", "0s":
		default:
			if !strings.Contains(usage, "default") {
				usage += " (default " + f.DefValue + ")"
			}
		}
		fmt.Fprintf(w, "  %s\n        %s\n", name, usage)
	})
}

// listenError explains a failed listen: an address already in use most
// likely means Jarvis is already running there.
func listenError(what, addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%s: %s is already in use: Jarvis is probably already running (stop it first, or choose another address)", what, addr)
	}
	return fmt.Errorf("%s: listen on %s: %w", what, addr, err)
}
