package kafkasource

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/driftwatch/driftwatch/config/secret"
)

// dialTimeout bounds connecting, including the TLS and SASL handshakes.
const dialTimeout = 10 * time.Second

// connector holds what every connection to the brokers needs. The consumer
// dials through a kafka.Dialer and the dead letter writer through a
// kafka.Transport; both are built from the same settings.
type connector struct {
	brokers  []string
	clientID string
	tls      *tls.Config
	sasl     sasl.Mechanism
	dial     func(ctx context.Context, network, address string) (net.Conn, error)
}

func newConnector(cfg Config, opts Options) (*connector, error) {
	tlsCfg, err := buildTLS(cfg.TLS)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	mech, err := buildSASL(cfg.SASL, opts.Secrets)
	if err != nil {
		return nil, fmt.Errorf("sasl: %w", err)
	}
	return &connector{
		brokers:  cfg.Brokers,
		clientID: opts.ClientID,
		tls:      tlsCfg,
		sasl:     mech,
		dial:     opts.DialFunc,
	}, nil
}

// dialer returns the Dialer used by the consumer group and the partition
// fetchers.
func (c *connector) dialer() *kafka.Dialer {
	return &kafka.Dialer{
		ClientID:      c.clientID,
		Timeout:       dialTimeout,
		DualStack:     true,
		TLS:           c.tls,
		SASLMechanism: c.sasl,
		DialFunc:      c.dial,
	}
}

// transport returns the Transport used by the dead letter writer.
func (c *connector) transport() *kafka.Transport {
	dial := c.dial
	if dial == nil {
		dial = (&net.Dialer{Timeout: dialTimeout}).DialContext
	}
	return &kafka.Transport{
		Dial:        dial,
		DialTimeout: dialTimeout,
		ClientID:    c.clientID,
		TLS:         c.tls,
		SASL:        c.sasl,
	}
}

// buildTLS turns the TLS settings into a tls.Config, reading the CA bundle
// and the client certificate. It returns nil when TLS is disabled.
func buildTLS(c TLSConfig) (*tls.Config, error) {
	if !c.Enabled {
		return nil, nil
	}
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		ServerName: c.ServerName,
		// insecure_skip_verify is an explicit setting, documented as for
		// testing only.
		InsecureSkipVerify: c.InsecureSkipVerify, //nolint:gosec // opt-in setting, see docs/config.md
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("reading ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s holds no PEM certificate", c.CAFile)
		}
		cfg.RootCAs = pool
	}
	if c.CertFile != "" || c.KeyFile != "" {
		certPEM, err := os.ReadFile(c.CertFile)
		if err != nil {
			return nil, fmt.Errorf("reading cert_file: %w", err)
		}
		keyPEM, err := os.ReadFile(c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("reading key_file: %w", err)
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("cert_file %s and key_file %s: %w", c.CertFile, c.KeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// buildSASL returns the SASL mechanism, with the password read through res.
// It returns nil when SASL is disabled.
func buildSASL(c SASLConfig, res secret.Resolver) (sasl.Mechanism, error) {
	if c.Mechanism == "" {
		return nil, nil
	}
	password, err := res.Resolve(c.Password)
	if err != nil {
		return nil, fmt.Errorf("password: %w", err)
	}
	switch c.Mechanism {
	case SASLPlain:
		return plain.Mechanism{Username: c.Username, Password: password}, nil
	case SASLScramSHA256:
		return scram.Mechanism(scram.SHA256, c.Username, password)
	case SASLScramSHA512:
		return scram.Mechanism(scram.SHA512, c.Username, password)
	}
	return nil, fmt.Errorf("unknown mechanism %q", string(c.Mechanism))
}
