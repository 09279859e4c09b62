package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/keygate/keygate/config"
	"github.com/keygate/keygate/directory"
)

// loadConfig loads the configuration and, on failure, prints every error to stderr.
func loadConfig(path string, stderr io.Writer) (*config.Config, error) {
	cfg, err := config.Load(path, os.Environ())
	if err != nil {
		fmt.Fprintln(stderr, config.FormatErrors(err))
		return nil, errReported
	}
	return cfg, nil
}

// checkConfig validates the configuration and prints every error at once.
func checkConfig(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "config file (default: the embedded default)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	if _, err := loadConfig(*path, stderr); err != nil {
		return err
	}
	name := *path
	if name == "" {
		name = "embedded default"
	}
	fmt.Fprintf(stdout, "configuration OK (%s)\n", name)
	return nil
}

// hashPassword reads one password (the first line of stdin) and prints its argon2id hash.
func hashPassword(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		return errUsage
	}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return hashPrompted(f, stdout, stderr)
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("reading password: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if password == "" {
		return errors.New("empty password: nothing to hash")
	}
	hash, err := directory.HashPassword(password)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, hash)
	return nil
}

// hashPrompted asks for the password twice on a terminal without echoing it.
func hashPrompted(tty *os.File, stdout, stderr io.Writer) error {
	fmt.Fprint(stderr, "Password: ")
	first, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(stderr)
	if err != nil {
		return fmt.Errorf("reading password: %w", err)
	}
	fmt.Fprint(stderr, "Again: ")
	second, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(stderr)
	if err != nil {
		return fmt.Errorf("reading password: %w", err)
	}
	if string(first) != string(second) {
		return errors.New("the passwords differ")
	}
	if len(first) == 0 {
		return errors.New("empty password: nothing to hash")
	}
	hash, err := directory.HashPassword(string(first))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, hash)
	return nil
}
