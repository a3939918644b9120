package main

import (
	"context"
	"errors"
	"io"
)

func runChat(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, lookup env) error {
	return errors.New("chat: not built yet")
}
