// Command qms keeps quality records in Git: see the README.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/pprof"
	"time"

	"github.com/qms-tool/qms/internal/cli"
)

func main() {
	os.Exit(run())
}

func run() int { return runWith(nil) }

// runWith runs qms in this process's environment; adjust, when not nil,
// changes that environment first (the scenario tests pin the clock).
func runWith(adjust func(*cli.Env)) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	dir, err := os.Getwd()
	if err != nil {
		os.Stderr.WriteString("qms: cannot read the working directory: " + err.Error() + "\n")
		return cli.ExitFailure
	}
	st, _ := os.Stdout.Stat()
	env := &cli.Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Dir:        dir,
		Now:        time.Now,
		Getenv:     os.Getenv,
		IsTerminal: st != nil && st.Mode()&os.ModeCharDevice != 0,
	}
	if adjust != nil {
		adjust(env)
	}
	// QMS_CPUPROFILE=FILE writes a CPU profile, for 'go tool pprof'.
	if p := os.Getenv("QMS_CPUPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil && pprof.StartCPUProfile(f) == nil {
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	// QMS_MEMPROFILE=FILE writes a heap profile at the end (memory in use
	// then, and everything allocated: -sample_index=alloc_space).
	if p := os.Getenv("QMS_MEMPROFILE"); p != "" {
		defer func() {
			if f, err := os.Create(p); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	return cli.Run(ctx, env, os.Args)
}
