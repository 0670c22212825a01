package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/leads/leads/internal/auth"
)

// runToken prints an HS256 token signed with the configured secret, alone on
// the last line of stdout so scripts can take it with tail -n1.
func runToken(cfg Config, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("leads token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.bindFlags(fs, flagJWTSecret)
	sub := fs.String("sub", "", "user id (the sub claim), required")
	role := fs.String("role", string(auth.RoleStudent), "student, staff or admin")
	ttl := fs.Duration("ttl", time.Hour, "how long the token is valid")
	// Profile claims are only set when given, so a token can leave them out.
	var name, email, phone *string
	optional := func(dst **string) func(string) error {
		return func(s string) error { *dst = &s; return nil }
	}
	fs.Func("name", "the name claim", optional(&name))
	fs.Func("email", "the email claim", optional(&email))
	fs.Func("phone", "the phone claim", optional(&phone))
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("token: unexpected argument %q", fs.Arg(0))
	case *sub == "":
		return fmt.Errorf("token: --sub is required")
	case !auth.Role(*role).AtLeast(auth.RoleStudent):
		return fmt.Errorf("token: unknown role %q: want student, staff or admin", *role)
	case *ttl <= 0:
		return fmt.Errorf("token: --ttl must be positive")
	case cfg.JWTSecret == "":
		return fmt.Errorf("token: LEADS_JWT_SECRET (or --jwt-secret) is not set")
	}
	tok, err := auth.Mint([]byte(cfg.JWTSecret),
		auth.Principal{UserID: *sub, Role: auth.Role(*role), Name: name, Email: email, Phone: phone},
		*ttl, time.Now())
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	_, err = fmt.Fprintln(stdout, tok)
	return err
}
