package reset

import (
	"errors"
	"fmt"
	"testing"

	"dtsreset/validate"
)

func TestErrorText(t *testing.T) {
	cause := errors.New("cause")
	e := &Error{Kind: KindConflict, Code: CodeResetNotApplied, Message: "not applied", RequestID: "rid", Err: cause}
	if got, want := e.Error(), "FailedOperation.ResetNotApplied: not applied (RequestId rid)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(e, cause) {
		t.Errorf("errors.Is(e, cause) = false, want true through Unwrap")
	}
	if got, want := Errorf(KindInvalid, CodeInvalidParameter, "bad %d", 7).Error(), "InvalidParameter: bad 7"; got != want {
		t.Errorf("Errorf: got %q, want %q", got, want)
	}
}

func TestAsErrorAndKindOf(t *testing.T) {
	ours := &Error{Kind: KindNotFound, Code: CodeGroupNotFound, Message: "gone"}
	plain := errors.New("secret detail")
	tests := []struct {
		name string
		err  error
		kind Kind
		same bool // AsError returns ours itself
	}{
		{"ours", ours, KindNotFound, true},
		{"wrapped", fmt.Errorf("context: %w", ours), KindNotFound, true},
		{"plain", plain, KindInternal, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := AsError(tt.err)
			if (e == ours) != tt.same || e.Kind != tt.kind || KindOf(tt.err) != tt.kind {
				t.Errorf("got %+v, want kind %s (same %v)", e, tt.kind, tt.same)
			}
			if !tt.same && (e.Message != "internal error" || !errors.Is(e, plain)) {
				t.Errorf("got %+v, want a safe message and the cause kept in Err", e)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	if got := KindConflict.String(); got != "conflict" {
		t.Errorf("got %q, want conflict", got)
	}
	if got := Kind(99).String(); got != "kind(99)" {
		t.Errorf("got %q, want kind(99)", got)
	}
}

func TestInvalid(t *testing.T) {
	ve := &validate.Error{Message: "invalid reset payload: bad mode",
		Fields: []validate.FieldError{{Field: "ResetMode", Rule: "oneof", Message: "bad mode"}}}
	e := Invalid(fmt.Errorf("decoding: %w", ve))
	if e.Kind != KindInvalid || e.Code != CodeInvalidParameter || e.Message != ve.Message || len(e.Fields) != 1 {
		t.Errorf("got %+v, want KindInvalid with the validate fields", e)
	}
	if ours := Errorf(KindTooLarge, CodeRequestTooLarge, "too big"); Invalid(ours) != ours {
		t.Errorf("Invalid changed an *Error")
	}
	if KindOf(Invalid(errors.New("x"))) != KindInternal {
		t.Errorf("Invalid(plain) is not internal")
	}
	if Invalid(nil) != nil {
		t.Errorf("Invalid(nil) != nil")
	}
}
