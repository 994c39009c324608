package handler

import (
	"net/http"

	"dtsreset/internal/reset"
)

// statusByKind is the one table from error kinds to HTTP statuses (SPEC §5). Upstream AuthFailure and
// UnauthorizedOperation are KindUpstream: the function's own role is wrong, which the caller cannot fix, so
// they are 502 and not 401/403.
var statusByKind = map[reset.Kind]int{
	reset.KindInvalid:          http.StatusBadRequest,
	reset.KindUnauthorized:     http.StatusUnauthorized,
	reset.KindForbidden:        http.StatusForbidden,
	reset.KindNotFound:         http.StatusNotFound,
	reset.KindMethodNotAllowed: http.StatusMethodNotAllowed,
	reset.KindConflict:         http.StatusConflict,
	reset.KindTooLarge:         http.StatusRequestEntityTooLarge,
	reset.KindThrottled:        http.StatusTooManyRequests,
	reset.KindUpstream:         http.StatusBadGateway,
	reset.KindTimeout:          http.StatusGatewayTimeout,
	reset.KindInternal:         http.StatusInternalServerError,
}

// StatusOf returns the HTTP status for err.
func StatusOf(err error) int {
	if s, ok := statusByKind[reset.KindOf(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}
