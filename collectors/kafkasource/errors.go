package kafkasource

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"syscall"

	kafka "github.com/segmentio/kafka-go"
)

// ErrGenerationEnded is returned by Generation.Commit once the generation
// is over: after Revoked has returned, or when the group coordinator has
// already moved to a newer generation. Nothing was committed; the messages
// are delivered again to whichever member owns the partition next.
var ErrGenerationEnded = errors.New("consumer group generation has ended")

// ErrNotAssigned is returned by Generation.Commit for a partition that the
// generation does not own. Nothing was committed.
var ErrNotAssigned = errors.New("partition is not assigned to this generation")

// ErrInvalidOffset is returned by Generation.Commit for a negative offset or
// one beyond the messages delivered so far, which would skip messages the
// handler has never seen. Nothing was committed.
var ErrInvalidOffset = errors.New("invalid commit offset")

// ErrorClass is a bounded error category, fit for a metric label.
type ErrorClass string

// The error classes returned by ClassifyError.
const (
	ClassNone            ErrorClass = "none"
	ClassCanceled        ErrorClass = "canceled"
	ClassGenerationEnded ErrorClass = "generation_ended"
	ClassNotAssigned     ErrorClass = "not_assigned"
	ClassInvalid         ErrorClass = "invalid"
	ClassTimeout         ErrorClass = "timeout"
	ClassNetwork         ErrorClass = "network"
	ClassTLS             ErrorClass = "tls"
	ClassAuth            ErrorClass = "auth"
	ClassUnknownTopic    ErrorClass = "unknown_topic"
	ClassTooLarge        ErrorClass = "too_large"
	ClassUnavailable     ErrorClass = "unavailable"
	ClassBroker          ErrorClass = "broker"
	ClassOther           ErrorClass = "other"
)

// ErrorClasses lists every class ClassifyError can return, so that metrics
// can initialise each label value up front.
func ErrorClasses() []ErrorClass {
	return []ErrorClass{
		ClassNone, ClassCanceled, ClassGenerationEnded, ClassNotAssigned,
		ClassInvalid, ClassTimeout, ClassNetwork, ClassTLS, ClassAuth,
		ClassUnknownTopic, ClassTooLarge, ClassUnavailable, ClassBroker, ClassOther,
	}
}

// ClassifyError maps an error from this package, from the Kafka client or
// from the network to one of a small fixed set of classes. The order of the
// checks matters: a wrapped error can match several, and the most specific
// meaning wins.
func ClassifyError(err error) ErrorClass {
	if err == nil {
		return ClassNone
	}
	var kerr kafka.Error
	var werrs kafka.WriteErrors
	var tooLarge kafka.MessageTooLargeError
	switch {
	case errors.As(err, &werrs):
		return classifyWriteErrors(werrs)
	case errors.Is(err, ErrGenerationEnded), errors.Is(err, kafka.ErrGenerationEnded),
		errors.Is(err, kafka.ErrGroupClosed):
		return ClassGenerationEnded
	case errors.Is(err, ErrNotAssigned):
		return ClassNotAssigned
	case errors.Is(err, ErrInvalidOffset), errors.Is(err, errInvalidReason):
		return ClassInvalid
	case errors.Is(err, context.Canceled):
		return ClassCanceled
	case errors.As(err, &tooLarge):
		return ClassTooLarge
	case errors.As(err, &kerr):
		return classifyKafkaError(kerr)
	case isTLSError(err):
		return ClassTLS
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		isTimeout(err):
		return ClassTimeout
	case isNetworkError(err):
		return ClassNetwork
	}
	return ClassOther
}

func classifyWriteErrors(errs kafka.WriteErrors) ErrorClass {
	for _, e := range errs {
		if e != nil {
			return ClassifyError(e)
		}
	}
	return ClassNone
}

// classifyKafkaError groups the broker's error codes.
func classifyKafkaError(err kafka.Error) ErrorClass {
	switch err {
	case kafka.IllegalGeneration, kafka.UnknownMemberId, kafka.RebalanceInProgress,
		kafka.FencedInstanceID:
		return ClassGenerationEnded
	case kafka.SASLAuthenticationFailed, kafka.TopicAuthorizationFailed,
		kafka.GroupAuthorizationFailed, kafka.ClusterAuthorizationFailed,
		kafka.UnsupportedSASLMechanism, kafka.IllegalSASLState,
		kafka.TransactionalIDAuthorizationFailed, kafka.DelegationTokenAuthorizationFailed:
		return ClassAuth
	case kafka.UnknownTopicOrPartition, kafka.InvalidTopic:
		return ClassUnknownTopic
	case kafka.MessageSizeTooLarge, kafka.RecordListTooLarge, kafka.InvalidRecord:
		return ClassTooLarge
	case kafka.RequestTimedOut:
		return ClassTimeout
	case kafka.NotLeaderForPartition, kafka.LeaderNotAvailable,
		kafka.GroupCoordinatorNotAvailable, kafka.NotCoordinatorForGroup,
		kafka.GroupLoadInProgress, kafka.BrokerNotAvailable, kafka.ReplicaNotAvailable,
		kafka.NotEnoughReplicas, kafka.NotEnoughReplicasAfterAppend, kafka.KafkaStorageError,
		kafka.NetworkException, kafka.FencedLeaderEpoch, kafka.UnknownLeaderEpoch:
		return ClassUnavailable
	}
	return ClassBroker
}

func isTLSError(err error) bool {
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		verify           *tls.CertificateVerificationError
		record           tls.RecordHeaderError
		alert            tls.AlertError
	)
	return errors.As(err, &unknownAuthority) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &verify) ||
		errors.As(err, &record) || errors.As(err, &alert)
}

func isTimeout(err error) bool {
	var nerr net.Error
	return errors.As(err, &nerr) && nerr.Timeout()
}

func isNetworkError(err error) bool {
	var nerr net.Error
	switch {
	case errors.As(err, &nerr):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, io.ErrClosedPipe), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, io.ErrNoProgress):
		return true
	}
	return false
}

// fatal reports errors that retrying cannot fix: the credentials or the
// certificates are wrong.
func fatal(c ErrorClass) bool { return c == ClassAuth || c == ClassTLS }
