package kafkasource

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/driftwatch/driftwatch/config/field"
	"github.com/driftwatch/driftwatch/config/secret"
)

// StartOffset says where a consumer group with no committed offset begins.
type StartOffset string

// The supported start offsets.
const (
	StartEarliest StartOffset = "earliest"
	StartLatest   StartOffset = "latest"
)

// SASLMechanism names a SASL authentication mechanism.
type SASLMechanism string

// The supported SASL mechanisms.
const (
	SASLPlain       SASLMechanism = "plain"
	SASLScramSHA256 SASLMechanism = "scram-sha-256"
	SASLScramSHA512 SASLMechanism = "scram-sha-512"
)

// Config is the Kafka connection and consumption settings of one model.
type Config struct {
	// Brokers are the bootstrap brokers as host:port.
	Brokers []string `yaml:"brokers"`
	// Topics name the streams to consume.
	Topics Topics `yaml:"topics"`
	// Group is the consumer group ID. Every driftwatch replica of a model
	// uses the same group, so partitions are shared between them.
	Group string `yaml:"group"`
	// StartOffset applies when the group has no committed offset.
	StartOffset StartOffset `yaml:"start_offset"`
	// DeadLetterTopic, when set, receives every rejected message with the
	// rejection reason in a header.
	DeadLetterTopic string `yaml:"dead_letter_topic"`
	// MaxMessageBytes rejects larger messages as oversized.
	MaxMessageBytes int `yaml:"max_message_bytes"`
	// SessionTimeout and RebalanceTimeout tune the consumer group protocol.
	SessionTimeout   time.Duration `yaml:"session_timeout"`
	RebalanceTimeout time.Duration `yaml:"rebalance_timeout"`
	// TLS secures the connection to the brokers.
	TLS TLSConfig `yaml:"tls"`
	// SASL authenticates to the brokers.
	SASL SASLConfig `yaml:"sasl"`
}

// Topics names a model's Kafka topics. Predictions is required; Features
// is used when features travel separately from predictions, and Labels when
// ground truth arrives later.
type Topics struct {
	Predictions string `yaml:"predictions"`
	Features    string `yaml:"features"`
	Labels      string `yaml:"labels"`
}

// TLSConfig enables TLS to the brokers. File paths are read at start-up.
type TLSConfig struct {
	Enabled            bool   `yaml:"enabled"`
	CAFile             string `yaml:"ca_file"`
	CertFile           string `yaml:"cert_file"`
	KeyFile            string `yaml:"key_file"`
	ServerName         string `yaml:"server_name"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// SASLConfig authenticates to the brokers. An empty Mechanism disables SASL.
type SASLConfig struct {
	Mechanism SASLMechanism `yaml:"mechanism"`
	Username  string        `yaml:"username"`
	Password  secret.Ref    `yaml:"password"`
}

// SetDefaults fills in the defaults for fields the configuration leaves out.
func (c *Config) SetDefaults() {
	c.StartOffset = StartEarliest
	c.MaxMessageBytes = 1 << 20
	c.SessionTimeout = 30 * time.Second
	c.RebalanceTimeout = 30 * time.Second
}

// Validate checks the settings without contacting Kafka.
func (c Config) Validate() error {
	var l field.List
	if len(c.Brokers) == 0 {
		l.Add("brokers", errors.New("at least one broker is required"))
	}
	for i, b := range c.Brokers {
		if err := validateHostPort(b); err != nil {
			l.Add(field.NewPath("brokers").Index(i), err)
		}
	}
	if c.Topics.Predictions == "" {
		l.Add("topics.predictions", errors.New("is required"))
	}
	seen := map[string]string{}
	for _, t := range []struct{ name, topic string }{
		{"predictions", c.Topics.Predictions}, {"features", c.Topics.Features},
		{"labels", c.Topics.Labels}, {"dead_letter_topic", c.DeadLetterTopic},
	} {
		if t.topic == "" {
			continue
		}
		p := field.NewPath("topics").Child(t.name)
		if t.name == "dead_letter_topic" {
			p = field.NewPath(t.name)
		}
		if err := validateTopic(t.topic); err != nil {
			l.Add(p, err)
		}
		if other, dup := seen[t.topic]; dup {
			l.Addf(p, "topic %q is also used for %s", t.topic, other)
		}
		seen[t.topic] = t.name
	}
	if c.Group == "" {
		l.Add("group", errors.New("is required: driftwatch commits offsets through a consumer group"))
	}
	switch c.StartOffset {
	case StartEarliest, StartLatest:
	default:
		l.Addf("start_offset", "unknown start offset %q (want earliest or latest)", string(c.StartOffset))
	}
	if c.MaxMessageBytes <= 0 {
		l.Addf("max_message_bytes", "must be positive, got %d", c.MaxMessageBytes)
	}
	if c.SessionTimeout <= 0 {
		l.Addf("session_timeout", "must be positive, got %s", c.SessionTimeout)
	}
	if c.RebalanceTimeout <= 0 {
		l.Addf("rebalance_timeout", "must be positive, got %s", c.RebalanceTimeout)
	}
	l.Add("tls", c.TLS.Validate())
	l.Add("sasl", c.SASL.Validate())
	return l.Err()
}

// Validate checks that certificate and key come together.
func (c TLSConfig) Validate() error {
	var l field.List
	if !c.Enabled && (c.CAFile != "" || c.CertFile != "" || c.KeyFile != "" || c.ServerName != "" || c.InsecureSkipVerify) {
		l.Addf("enabled", "TLS settings are given but enabled is false")
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		l.Addf("cert_file", "cert_file and key_file must be set together")
	}
	return l.Err()
}

// Validate checks the mechanism and that credentials are given.
func (c SASLConfig) Validate() error {
	var l field.List
	switch c.Mechanism {
	case "":
		if c.Username != "" || !c.Password.IsZero() {
			l.Addf("mechanism", "is required when username or password is set (want plain, scram-sha-256 or scram-sha-512)")
		}
		return l.Err()
	case SASLPlain, SASLScramSHA256, SASLScramSHA512:
	default:
		l.Addf("mechanism", "unknown mechanism %q (want plain, scram-sha-256 or scram-sha-512)", string(c.Mechanism))
	}
	if c.Username == "" {
		l.Add("username", errors.New("is required with SASL"))
	}
	l.Add("password", c.Password.Validate())
	return l.Err()
}

func validateHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("broker %q is not host:port", s)
	}
	if host == "" {
		return fmt.Errorf("broker %q has no host", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("broker %q has an invalid port", s)
	}
	return nil
}

// validateTopic applies Kafka's topic name rules: 1 to 249 characters from
// [a-zA-Z0-9._-], and not "." or "..".
func validateTopic(t string) error {
	if len(t) > 249 {
		return fmt.Errorf("topic name is longer than 249 characters")
	}
	if t == "." || t == ".." {
		return fmt.Errorf("topic name %q is not allowed", t)
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("topic name %q has the character %q (allowed: letters, digits, '.', '_' and '-')", t, r)
		}
	}
	return nil
}
