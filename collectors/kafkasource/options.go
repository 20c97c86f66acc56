package kafkasource

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	kafka "github.com/segmentio/kafka-go"

	"github.com/driftwatch/driftwatch/config/secret"
)

// Options are the dependencies and the tuning of a Consumer or a DeadLetter.
// Only Logger is required; every other field has a default.
type Options struct {
	// Logger receives this package's logs. kafka-go's own chatter goes to it
	// at debug level, its errors at warn level.
	Logger *slog.Logger
	// Now is the clock behind the timestamps in Lag. It defaults to time.Now.
	// Network timeouts and retry backoffs always use real time.
	Now func() time.Time
	// ClientID is sent to the brokers with every request. It defaults to
	// "driftwatch".
	ClientID string
	// Secrets resolves the SASL password. The zero value reads the process
	// environment and the file system.
	Secrets secret.Resolver
	// DialFunc, when set, opens the TCP connections to the brokers, for
	// example through a proxy.
	DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

	// Fetch tunes how partitions are read.
	Fetch FetchOptions

	// HeartbeatInterval is how often the consumer tells the group
	// coordinator it is alive. A rebalance is noticed at the next
	// heartbeat, so this bounds how long other members wait for this one.
	// It defaults to a tenth of Config.SessionTimeout, at most 3s.
	HeartbeatInterval time.Duration
	// JoinBackoff is the pause before joining the group again after a
	// failed join. It defaults to 2s.
	JoinBackoff time.Duration
	// WatchPartitions makes the consumer poll the topics' partition counts
	// and rebalance when they change, so that added partitions are
	// consumed without a restart. Every topic must then exist: kafka-go
	// ends the generation whenever it cannot read a topic's partitions.
	WatchPartitions bool

	// DeadLetterAttempts bounds the attempts of one DeadLetter.Send. It
	// defaults to 3.
	DeadLetterAttempts int
}

// FetchOptions tunes how partitions are read. Each assigned partition has
// its own fetcher; the fetched batches queue up for the handler.
type FetchOptions struct {
	// MinBytes is how much data the broker waits for before it answers a
	// fetch, unless MaxWait passes first. It defaults to 64 KiB.
	MinBytes int
	// MaxBytes bounds the data of one fetch. It defaults to 4 MiB and is
	// raised to Config.MaxMessageBytes when that is larger. The broker
	// still returns a larger first record batch whole, so an oversized
	// message never stalls a partition.
	MaxBytes int
	// MaxWait is how long the broker holds a fetch that has less than
	// MinBytes. It defaults to 250ms.
	MaxWait time.Duration
	// MaxBatchMessages bounds the messages of one Handle call. It defaults
	// to 4096.
	MaxBatchMessages int
	// QueueCapacity is how many batches wait between the fetchers and the
	// handler. It defaults to 16.
	QueueCapacity int
}

// withDefaults returns the options with every unset field filled in.
func (o Options) withDefaults(cfg Config) Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ClientID == "" {
		o.ClientID = "driftwatch"
	}
	if o.HeartbeatInterval == 0 {
		o.HeartbeatInterval = min(cfg.SessionTimeout/10, 3*time.Second)
	}
	if o.JoinBackoff == 0 {
		o.JoinBackoff = 2 * time.Second
	}
	if o.DeadLetterAttempts == 0 {
		o.DeadLetterAttempts = 3
	}
	f := &o.Fetch
	if f.MinBytes == 0 {
		f.MinBytes = 64 << 10
	}
	if f.MaxBytes == 0 {
		f.MaxBytes = 4 << 20
	}
	f.MaxBytes = max(f.MaxBytes, cfg.MaxMessageBytes)
	f.MinBytes = min(f.MinBytes, f.MaxBytes)
	if f.MaxWait == 0 {
		f.MaxWait = 250 * time.Millisecond
	}
	if f.MaxBatchMessages == 0 {
		f.MaxBatchMessages = 4096
	}
	if f.QueueCapacity == 0 {
		f.QueueCapacity = 16
	}
	return o
}

// validate checks options after defaults are applied.
func (o Options) validate(cfg Config) error {
	var errs []error
	if o.Logger == nil {
		errs = append(errs, errors.New("Options.Logger is required"))
	}
	if o.HeartbeatInterval <= 0 || o.HeartbeatInterval >= cfg.SessionTimeout {
		errs = append(errs, fmt.Errorf("Options.HeartbeatInterval %s must be positive and shorter than session_timeout %s", o.HeartbeatInterval, cfg.SessionTimeout))
	}
	if o.JoinBackoff < 0 {
		errs = append(errs, fmt.Errorf("Options.JoinBackoff %s is negative", o.JoinBackoff))
	}
	if o.DeadLetterAttempts < 1 {
		errs = append(errs, fmt.Errorf("Options.DeadLetterAttempts must be at least 1, got %d", o.DeadLetterAttempts))
	}
	f := o.Fetch
	if f.MinBytes < 1 || f.MaxBytes < 1 {
		errs = append(errs, fmt.Errorf("Options.Fetch: MinBytes %d and MaxBytes %d must be positive", f.MinBytes, f.MaxBytes))
	}
	if f.MaxWait < 0 {
		errs = append(errs, fmt.Errorf("Options.Fetch.MaxWait %s is negative", f.MaxWait))
	}
	if f.MaxBatchMessages < 1 || f.QueueCapacity < 1 {
		errs = append(errs, fmt.Errorf("Options.Fetch: MaxBatchMessages %d and QueueCapacity %d must be positive", f.MaxBatchMessages, f.QueueCapacity))
	}
	return errors.Join(errs...)
}

// kafkaLoggers adapts slog to kafka-go's Printf-style loggers. Formatting
// is skipped when the level is off, because kafka-go logs on hot paths.
func kafkaLoggers(l *slog.Logger) (info, errLog kafka.Logger) {
	at := func(level slog.Level) kafka.Logger {
		return kafka.LoggerFunc(func(msg string, args ...any) {
			if !l.Enabled(context.Background(), level) {
				return
			}
			l.Log(context.Background(), level, fmt.Sprintf(msg, args...), "component", "kafka-go")
		})
	}
	return at(slog.LevelDebug), at(slog.LevelWarn)
}
