package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
)

// errEmptyBody is the cause logged when a body is required but absent.
var errEmptyBody = errors.New("empty body")

// decodeJSON reads the request body, exactly one JSON object, into v. Unknown
// fields are refused. An empty body leaves v unchanged when emptyOK, and is an
// invalid_request otherwise.
func decodeJSON(c echo.Context, v any, emptyOK bool) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) {
		if emptyOK {
			return nil
		}
		return invalidRequest("The request body is empty.", errEmptyBody)
	}
	if err == nil {
		if _, err = dec.Token(); errors.Is(err, io.EOF) {
			return nil
		}
		err = fmt.Errorf("data after the JSON object: %w", errOrTrailing(err))
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return errTooLarge
	}
	return invalidRequest("The request body is not valid JSON for this request.", err)
}

func errOrTrailing(err error) error {
	if err == nil {
		return errors.New("trailing data")
	}
	return err
}

// invalidRequest is a 400 with a public message and a logged cause.
func invalidRequest(message string, cause error) *Error {
	return &Error{Status: http.StatusBadRequest, Code: codeInvalidRequest, Message: message, Err: cause}
}
