package config

import (
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/v2"
)

// valueError is a decode hook's verdict on a value; its text is shown as is.
type valueError struct{ msg string }

func (e *valueError) Error() string { return e.msg }

// decode decodes the merged map m into cfg strictly: keys must be exact field
// names, values must already have the field's type (no string "5" for a
// number), and durations are strings such as "90m". It returns one *Error per
// bad value.
func decode(m map[string]any, cfg *Config) []*Error {
	k := koanf.New(".")
	if err := k.Load(mapProvider(m), nil); err != nil {
		return []*Error{{Msg: fmt.Sprintf("loading the merged layers: %v", err), Err: err}}
	}
	err := k.UnmarshalWithConf("", cfg, koanf.UnmarshalConf{DecoderConfig: &mapstructure.DecoderConfig{
		DecodeHook:       mapstructure.DecodeHookFuncValue(strictHook),
		ErrorUnused:      true, // pruneUnknown has reported and removed unknown keys already
		WeaklyTypedInput: false,
		TagName:          "koanf",
		MatchName:        func(key, field string) bool { return key == field },
	}})
	// Decode wraps several errors in a summary; take the joined errors out.
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		err = joined.(error)
	}
	return decodeErrors("", err)
}

// strictHook checks that a value fits its target before mapstructure sees it,
// so that every mismatch is reported in the same words, and turns duration
// strings into time.Duration.
func strictHook(from, to reflect.Value) (any, error) {
	in := from.Interface()
	t := to.Type()
	if t == durationType {
		return toDuration(in)
	}
	var ok bool
	switch t.Kind() {
	case reflect.String:
		_, ok = in.(string)
	case reflect.Bool:
		_, ok = in.(bool)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		ok = from.CanInt() || from.CanUint()
	case reflect.Slice, reflect.Array:
		ok = from.Kind() == reflect.Slice || from.Kind() == reflect.Array
	case reflect.Struct, reflect.Map:
		ok = from.Kind() == reflect.Map
	default:
		ok = true
	}
	if !ok {
		return nil, mismatch(in, t)
	}
	return in, nil
}

// toDuration accepts a Go duration string ("90m", "1h30m") or the number 0.
func toDuration(in any) (any, error) {
	switch v := in.(type) {
	case string:
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, &valueError{fmt.Sprintf("%q is not a duration (use e.g. 90m, 12h)", v)}
		}
		return d, nil
	case int, int64, uint64:
		if reflect.ValueOf(v).IsZero() {
			return time.Duration(0), nil
		}
		return nil, &valueError{fmt.Sprintf("%v is not a duration: a number needs a unit (e.g. %vs)", v, v)}
	}
	return nil, mismatch(in, durationType)
}

// mismatch says that value in cannot be decoded into type t.
func mismatch(in any, t reflect.Type) error {
	want := describeType(t)
	switch reflect.ValueOf(in).Kind() {
	case reflect.Map:
		return &valueError{"got a mapping, want " + want}
	case reflect.Slice, reflect.Array:
		return &valueError{"got a list, want " + want}
	case reflect.String:
		return &valueError{fmt.Sprintf("%q is not %s", in, want)}
	}
	msg := fmt.Sprintf("%v is not %s", in, want)
	if t.Kind() == reflect.String {
		msg += fmt.Sprintf(" (quote it: \"%v\")", in)
	}
	return &valueError{msg}
}

// describeType names what a value of type t looks like in the file.
func describeType(t reflect.Type) string {
	if t == durationType {
		return "a duration (use e.g. 90m, 12h)"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return describeType(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Slice, reflect.Array:
		if _, ok := sectionType(t.Elem()); ok {
			return "a list of mappings"
		}
		return "a list of " + plural(describeType(t.Elem()))
	case reflect.Struct, reflect.Map:
		return "a mapping"
	}
	return t.String()
}

func plural(s string) string {
	switch s {
	case "a string":
		return "strings"
	case "a whole number":
		return "whole numbers"
	}
	return "values of type " + s
}

// decodeErrors turns what mapstructure returned into one *Error per bad value,
// keyed by the field path mapstructure tracked.
func decodeErrors(key string, err error) []*Error {
	if err == nil {
		return nil
	}
	if de, ok := err.(*mapstructure.DecodeError); ok {
		return decodeErrors(de.Name(), de.Unwrap())
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*Error
		for _, e := range j.Unwrap() {
			out = append(out, decodeErrors(key, e)...)
		}
		return out
	}
	if ve, ok := errors.AsType[*valueError](err); ok {
		return []*Error{{Key: key, Msg: ve.msg}}
	}
	return []*Error{{Key: key, Msg: err.Error(), Err: err}}
}
