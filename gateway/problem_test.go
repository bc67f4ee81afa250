package gateway

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"dataledger/chaincode/domain"
)

func TestProblemOfTellsTransientFailuresFromOthers(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{status.Error(codes.Unavailable, "peer down"), http.StatusServiceUnavailable},
		{fmt.Errorf("evaluate: %w", status.Error(codes.Aborted, "chaincode unreachable")), http.StatusServiceUnavailable},
		{context.DeadlineExceeded, http.StatusServiceUnavailable},
		{status.Error(codes.Unknown, "something else"), http.StatusBadGateway},
		{fmt.Errorf("plain"), http.StatusBadGateway},
		{domain.NotFound("DL-X", "number", "no such"), http.StatusNotFound},
	} {
		if got := ProblemOf(c.err).Status; got != c.want {
			t.Errorf("%v: %d, want %d", c.err, got, c.want)
		}
	}
}
