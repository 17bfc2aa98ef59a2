package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

// Exit statuses, the contract with scripts.
const (
	ExitOK       = 0
	ExitFindings = 1
	ExitUsage    = 2
	ExitFailure  = 3
)

// Version is set at build time with -ldflags.
var Version = "dev"

// Env is everything a command takes from the outside world.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Dir is the working directory.
	Dir string
	// Now is the clock, read once per command.
	Now func() time.Time
	// Getenv reads an environment variable.
	Getenv func(string) string
	// IsTerminal says whether Stdout is a terminal.
	IsTerminal bool
}

// errFindings is returned when a check found problems (exit 1); the
// findings have been printed.
var errFindings = errors.New("problems found")

// usageError is a mistake in how qms was called (exit 2); err, when set,
// is the error it reports, for errors.Is.
type usageError struct {
	msg string
	err error
}

func (e usageError) Error() string { return e.msg }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{msg: fmt.Sprintf(format, a...)} }

// asUsage reports err as a usage error (exit 2), keeping it in the chain.
func asUsage(err error) error { return usageError{msg: err.Error(), err: err} }

// hinted is an error with a next step for the user.
type hinted struct {
	err  error
	hint string
}

func (h hinted) Error() string { return h.err.Error() }
func (h hinted) Unwrap() error { return h.err }

func withHint(err error, format string, a ...any) error {
	return hinted{err, fmt.Sprintf(format, a...)}
}

// Run runs qms with args (args[0] is the program name) and returns the exit
// status.
func Run(ctx context.Context, env *Env, args []string) int {
	// Stdout is counted, so that an error is reported in the chosen
	// format only when the command printed nothing yet.
	out := &countingWriter{w: env.Stdout}
	e := *env
	e.Stdout = out
	app := newApp(&e)
	moved, err := interspersed(app, args)
	if err == nil {
		args = moved
		err = app.RunContext(ctx, args)
	}
	return exitCode(&e, requestedOutput(app, args), out.n > 0, err)
}

// exitCode maps err to the exit status and reports it: always as text on
// stderr, and also on stdout in the format the command was asked for
// (json, markdown, codequality) unless the command already wrote its
// output there, so that a program reading stdout gets the format it asked
// for whatever went wrong.
func exitCode(env *Env, o output, wrote bool, err error) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, errFindings) {
		return ExitFindings
	}
	var h hinted
	hint := ""
	if errors.As(err, &h) {
		hint = h.hint
	}
	code := ExitFailure
	var u usageError
	if errors.As(err, &u) {
		code = ExitUsage
	}
	msg := err.Error()
	fmt.Fprintf(env.Stderr, "qms: %s\n", msg)
	if hint != "" {
		fmt.Fprintf(env.Stderr, "qms: hint: %s\n", hint)
	}
	if !wrote {
		_ = printError(env.Stdout, o, code, msg, hint)
	}
	return code
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func newApp(env *Env) *cli.App {
	app := &cli.App{
		Name:  "qms",
		Usage: "quality records in Git: validated, approved by signed commits, backed up and archived",
		Description: "Exit status: 0 ok, 1 the check found problems, 2 usage error, 3 operational failure.\n" +
			"Run 'qms COMMAND --help' for a command's options.",
		Version:              Version,
		Writer:               env.Stdout,
		ErrWriter:            env.Stderr,
		Reader:               env.Stdin,
		EnableBashCompletion: false,
		HideHelpCommand:      true,
		// --set values hold commas ('services=[a, b]'); never split them.
		DisableSliceFlagSeparator: true,
		ExitErrHandler:            func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{msg: err.Error()}
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return withHint(usagef("unknown command %q", c.Args().First()), "run 'qms --help' for the list")
			}
			return cli.ShowAppHelp(c)
		},
		Commands: []*cli.Command{
			initCommand(env),
			newCommand(env),
			validateCommand(env),
			hookCommand(env),
			approveCommand(env),
			verifyCommand(env),
			acceptCommand(env),
			logCommand(env),
			cloneCommand(env),
			statusCommand(env),
			calendarCommand(env),
			renderCommand(env),
			notifyCommand(env),
			archiveCommand(env),
		},
	}
	for _, c := range app.Commands {
		setUsageErrors(c)
	}
	return app
}

func setUsageErrors(c *cli.Command) {
	c.OnUsageError = func(_ *cli.Context, err error, _ bool) error { return usageError{msg: err.Error()} }
	if len(c.Subcommands) > 0 && c.Action == nil {
		c.Action = func(ctx *cli.Context) error {
			if ctx.NArg() > 0 {
				return withHint(usagef("unknown command %q", c.Name+" "+ctx.Args().First()), "run 'qms %s --help' for the list", c.Name)
			}
			return cli.ShowSubcommandHelp(ctx)
		}
	}
	for _, s := range c.Subcommands {
		setUsageErrors(s)
	}
}

// Output formats. Every checking command offers text and json; github
// (Actions annotations) where it reports file positions; markdown (a job
// summary, a merge request comment) and codequality (GitLab's Code
// Quality report) where CI reads it: validate, verify, status.
var (
	plainFormats  = []string{"text", "json"}
	githubFormats = []string{"text", "json", "github"}
	ciFormats     = []string{"text", "json", "github", "markdown", "codequality"}
)

// formatOption is the --format flag of a checking command, with the
// formats that command offers: Run reads it to report errors in the
// chosen format, too.
type formatOption struct {
	*cli.StringFlag
	formats []string
}

// formatFlag is the --format flag of checking commands.
func formatFlag(github bool) cli.Flag {
	if github {
		return formatFlagOf(githubFormats, "output format: text, json or github (Actions annotations)")
	}
	return formatFlagOf(plainFormats, "output format: text or json")
}

// ciFormatFlag is the --format flag of the commands CI runs.
func ciFormatFlag() cli.Flag {
	return formatFlagOf(ciFormats, "output format: text, json, github (Actions annotations), markdown (a job summary or merge request comment) or codequality (GitLab Code Quality report)")
}

func formatFlagOf(formats []string, usage string) cli.Flag {
	return &formatOption{StringFlag: &cli.StringFlag{Name: "format", Value: "text", Usage: usage}, formats: formats}
}

func checkFormat(f string, github bool) error {
	if github {
		return checkFormatIn(f, githubFormats)
	}
	return checkFormatIn(f, plainFormats)
}

// checkCIFormat checks the --format of a command with ciFormatFlag.
func checkCIFormat(f string) error { return checkFormatIn(f, ciFormats) }

func checkFormatIn(f string, formats []string) error {
	if contains(formats, f) {
		return nil
	}
	return usagef("unknown format %q (use %s)", f, strings.Join(formats, ", "))
}

// output is what a command line asks for: the command and its format.
type output struct {
	command string // "validate", "archive verify"; "" for none
	format  string
}

// requestedOutput reads the command and the value of its --format flag
// from args (the last one given, as the flag package does), before or
// whatever the parsing does: a usage error is reported in that format
// too. A format the command does not offer is text.
func requestedOutput(app *cli.App, args []string) output {
	o := output{format: "text"}
	i := 1
	cmds := app.Commands
	var cmd *cli.Command
	for i < len(args) {
		var found *cli.Command
		for _, c := range cmds {
			if c.HasName(args[i]) {
				found = c
			}
		}
		if found == nil {
			break
		}
		cmd, cmds = found, found.Subcommands
		o.command = strings.TrimSpace(o.command + " " + found.Name)
		i++
	}
	if cmd == nil {
		return output{format: "text"}
	}
	var opt *formatOption
	for _, f := range cmd.Flags {
		if fo, ok := f.(*formatOption); ok {
			opt = fo
		}
	}
	if opt == nil {
		return o
	}
	value := ""
	for j := i; j < len(args); j++ {
		a := args[j]
		if a == "--" {
			break
		}
		name, v, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "format" {
			continue
		}
		if !hasValue {
			if j+1 >= len(args) {
				break
			}
			j++
			v = args[j]
		}
		value = v
	}
	if contains(opt.formats, value) {
		o.format = value
	}
	return o
}

// noArgs refuses stray arguments.
func noArgs(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("%s takes no arguments, got %q", c.Command.FullName(), strings.Join(c.Args().Slice(), " "))
	}
	return nil
}

// interspersed moves a command's flags in front of its arguments, so that
// 'qms new incident --level major' works: urfave/cli stops reading flags at
// the first argument. Everything after "--" stays an argument.
func interspersed(app *cli.App, args []string) ([]string, error) {
	if len(args) < 2 {
		return args, nil
	}
	i := 1
	cmds := app.Commands
	var cmd *cli.Command
	for i < len(args) {
		var found *cli.Command
		for _, c := range cmds {
			if c.HasName(args[i]) {
				found = c
			}
		}
		if found == nil {
			break
		}
		cmd, cmds = found, found.Subcommands
		i++
	}
	if cmd == nil {
		return args, nil
	}
	var flags, pos []string
	rest := args[i:]
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		if a == "--" {
			if j+1 < len(rest) {
				pos = append(pos, "--")
				pos = append(pos, rest[j+1:]...)
			}
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if hasValue {
			continue
		}
		for _, f := range cmd.Flags {
			for _, n := range f.Names() {
				if n != name {
					continue
				}
				if _, isBool := f.(*cli.BoolFlag); isBool {
					continue
				}
				if j+1 >= len(rest) {
					return nil, usagef("flag needs an argument: %s", a)
				}
				flags = append(flags, rest[j+1])
				j++
			}
		}
	}
	out := append([]string{}, args[:i]...)
	out = append(out, flags...)
	return append(out, pos...), nil
}
