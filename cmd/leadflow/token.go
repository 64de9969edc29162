package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"

	"github.com/leadflow/leadflow/app"
	"github.com/leadflow/leadflow/service"
)

func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: leadflow token create --role admin|manager|rep|integration [--rep-id N] [--name NAME] | list | revoke ID")
	}
	fs := flag.NewFlagSet("token "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	m := &app.Main{Logger: newLogger(stderr)}
	commonFlags(fs, m, false)
	var req service.TokenRequest
	if args[0] == "create" {
		fs.StringVar(&req.Role, "role", "admin", "admin, manager, rep or integration")
		fs.Int64Var(&req.RepID, "rep-id", 0, "the rep a rep token is bound to")
		fs.StringVar(&req.Name, "name", "", "a label for the token")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if err := m.OpenService(ctx); err != nil {
		return err
	}
	defer m.Close()
	switch args[0] {
	case "create":
		t, err := m.Service.CreateToken(ctx, req, "")
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "created %s token %d; the secret is shown once:\n", t.Role, t.ID)
		fmt.Fprintln(stdout, t.Secret)
		return nil
	case "list":
		toks, err := m.Service.Tokens(ctx)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(toks)
	case "revoke":
		if fs.NArg() != 1 {
			return fmt.Errorf("usage: leadflow token revoke ID")
		}
		id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
		if err != nil {
			return fmt.Errorf("token id %q: not a number", fs.Arg(0))
		}
		return m.Service.RevokeToken(ctx, id)
	default:
		return fmt.Errorf("unknown token command %q (create, list, revoke)", args[0])
	}
}
