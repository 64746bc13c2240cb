package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/shannon-ops/pocket-relay-miner/tilt/backend"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "backend-server:", err)
		os.Exit(1)
	}
}

type options struct {
	listen     string
	grpcListen string
	cfg        backend.Config
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("backend-server", flag.ContinueOnError)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8545", "HTTP/1.1 + h2c (gRPC) listen address")
	fs.StringVar(&o.grpcListen, "grpc-listen", "", "optional dedicated plain-gRPC listen address")
	fs.DurationVar(&o.cfg.Delay, "delay", 0, "default delay before each answer")
	fs.IntVar(&o.cfg.Status, "status", 0, "default HTTP status of every answer (0 = 200)")
	fs.Float64Var(&o.cfg.ErrorRate, "error-rate", 0, "default fraction of answers that fail")
	fs.IntVar(&o.cfg.ErrorStatus, "error-status", 0, "HTTP status of a failed answer (0 = 500)")
	fs.IntVar(&o.cfg.Size, "size", 0, "default payload size in bytes (0 = natural payload)")
	fs.IntVar(&o.cfg.Count, "count", 0, "default number of streamed events (0 = 10)")
	fs.DurationVar(&o.cfg.Interval, "interval", 0, "default time between streamed events")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	return o, o.cfg.Validate()
}

func run(args []string, stdout io.Writer) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, o, stdout)
}

// serve runs until ctx ends, then drains HTTP, closes WebSockets and stops gRPC.
func serve(ctx context.Context, o options, stdout io.Writer) error {
	srv, err := backend.New(o.cfg)
	if err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", o.listen, err)
	}
	var gln net.Listener
	if o.grpcListen != "" {
		if gln, err = lc.Listen(ctx, "tcp", o.grpcListen); err != nil {
			_ = ln.Close()
			return fmt.Errorf("listen %s: %w", o.grpcListen, err)
		}
	}
	hs := backend.NewHTTPServer(srv)
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve http: %w", err)
		}
		return nil
	})
	if gln != nil {
		g.Go(func() error {
			if err := srv.GRPCServer().Serve(gln); err != nil {
				return fmt.Errorf("serve grpc: %w", err)
			}
			return nil
		})
	}
	g.Go(func() error {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return errors.Join(hs.Shutdown(sctx), srv.Close())
	})
	line := "backend-server listening on http://" + ln.Addr().String()
	if gln != nil {
		line += " grpc " + gln.Addr().String()
	}
	fmt.Fprintln(stdout, line)
	return g.Wait()
}
