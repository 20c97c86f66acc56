package kafkasource

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	kafka "github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/require"
)

func TestClassifyError(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want ErrorClass
	}{
		{"nil", nil, ClassNone},
		{"generation ended", fmt.Errorf("commit: %w", ErrGenerationEnded), ClassGenerationEnded},
		{"kafka-go generation ended", kafka.ErrGenerationEnded, ClassGenerationEnded},
		{"illegal generation", kafka.IllegalGeneration, ClassGenerationEnded},
		{"unknown member", fmt.Errorf("commit: %w", kafka.UnknownMemberId), ClassGenerationEnded},
		{"rebalance in progress", kafka.RebalanceInProgress, ClassGenerationEnded},
		{"ended wraps broker error", fmt.Errorf("commit: %w: %w", ErrGenerationEnded, kafka.IllegalGeneration), ClassGenerationEnded},
		{"not assigned", fmt.Errorf("commit: %w", ErrNotAssigned), ClassNotAssigned},
		{"invalid offset", fmt.Errorf("commit: %w", ErrInvalidOffset), ClassInvalid},
		{"invalid reason", fmt.Errorf("dead letter: %w", errInvalidReason), ClassInvalid},
		{"canceled", fmt.Errorf("fetch: %w", context.Canceled), ClassCanceled},
		{"deadline", context.DeadlineExceeded, ClassTimeout},
		{"conn deadline", &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, ClassTimeout},
		{"request timed out", kafka.RequestTimedOut, ClassTimeout},
		{"refused", &net.OpError{Op: "dial", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}, ClassNetwork},
		{"eof", fmt.Errorf("reading: %w", io.ErrUnexpectedEOF), ClassNetwork},
		{"closed", net.ErrClosed, ClassNetwork},
		{"unknown authority", fmt.Errorf("dial: %w", x509.UnknownAuthorityError{}), ClassTLS},
		{"sasl failed", kafka.SASLAuthenticationFailed, ClassAuth},
		{"topic authorization", kafka.TopicAuthorizationFailed, ClassAuth},
		{"unknown topic", kafka.UnknownTopicOrPartition, ClassUnknownTopic},
		{"message too large", kafka.MessageSizeTooLarge, ClassTooLarge},
		{"writer too large", kafka.MessageTooLargeError{}, ClassTooLarge},
		{"not leader", kafka.NotLeaderForPartition, ClassUnavailable},
		{"coordinator moving", kafka.NotCoordinatorForGroup, ClassUnavailable},
		{"other broker error", kafka.InvalidRequiredAcks, ClassBroker},
		{"write errors", kafka.WriteErrors{nil, kafka.LeaderNotAvailable}, ClassUnavailable},
		{"write errors none", kafka.WriteErrors{nil}, ClassNone},
		{"other", errors.New("boom"), ClassOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ClassifyError(tc.err)
			require.Equal(t, tc.want, got)
			require.Contains(t, ErrorClasses(), got)
		})
	}
}
