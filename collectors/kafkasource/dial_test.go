package kafkasource

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/config/secret"
)

// writePEM creates a self-signed certificate and its key in dir and returns
// their paths.
func writePEM(t *testing.T, dir, name string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	return certFile, keyFile
}

func TestBuildTLS(t *testing.T) {
	dir := t.TempDir()
	caFile, _ := writePEM(t, dir, "ca")
	certFile, keyFile := writePEM(t, dir, "client")
	_, otherKey := writePEM(t, dir, "other")
	garbage := filepath.Join(dir, "garbage.pem")
	require.NoError(t, os.WriteFile(garbage, []byte("not a certificate\n"), 0o600))

	for _, tc := range []struct {
		name    string
		cfg     TLSConfig
		wantErr string
		check   func(t *testing.T, c *tls.Config)
	}{
		{name: "disabled", cfg: TLSConfig{}, check: func(t *testing.T, c *tls.Config) { require.Nil(t, c) }},
		{name: "system roots", cfg: TLSConfig{Enabled: true}, check: func(t *testing.T, c *tls.Config) {
			require.Nil(t, c.RootCAs)
			require.Empty(t, c.Certificates)
			require.Equal(t, uint16(tls.VersionTLS12), c.MinVersion)
			require.False(t, c.InsecureSkipVerify)
		}},
		{name: "ca, client cert, server name", cfg: TLSConfig{
			Enabled: true, CAFile: caFile, CertFile: certFile, KeyFile: keyFile,
			ServerName: "kafka.internal", InsecureSkipVerify: true,
		}, check: func(t *testing.T, c *tls.Config) {
			require.NotNil(t, c.RootCAs)
			require.Len(t, c.Certificates, 1)
			require.Equal(t, "kafka.internal", c.ServerName)
			require.True(t, c.InsecureSkipVerify)
		}},
		{name: "missing ca file", cfg: TLSConfig{Enabled: true, CAFile: filepath.Join(dir, "nope.pem")},
			wantErr: "reading ca_file: open " + filepath.Join(dir, "nope.pem") + ": no such file or directory"},
		{name: "ca file without certificates", cfg: TLSConfig{Enabled: true, CAFile: garbage},
			wantErr: "ca_file " + garbage + " holds no PEM certificate"},
		{name: "missing cert file", cfg: TLSConfig{Enabled: true, CertFile: filepath.Join(dir, "nope.crt"), KeyFile: keyFile},
			wantErr: "reading cert_file"},
		{name: "missing key file", cfg: TLSConfig{Enabled: true, CertFile: certFile, KeyFile: filepath.Join(dir, "nope.key")},
			wantErr: "reading key_file"},
		{name: "key does not match cert", cfg: TLSConfig{Enabled: true, CertFile: certFile, KeyFile: otherKey},
			wantErr: "private key does not match public key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := buildTLS(tc.cfg)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			tc.check(t, c)
		})
	}
}

func TestBuildSASL(t *testing.T) {
	res := secret.Resolver{LookupEnv: func(k string) (string, bool) {
		if k == "KAFKA_PASSWORD" {
			return "hunter2", true
		}
		return "", false
	}}
	pw := secret.Ref{Env: "KAFKA_PASSWORD"}
	for _, tc := range []struct {
		name     string
		cfg      SASLConfig
		wantName string
		wantErr  string
	}{
		{name: "disabled", cfg: SASLConfig{}},
		{name: "plain", cfg: SASLConfig{Mechanism: SASLPlain, Username: "u", Password: pw}, wantName: "PLAIN"},
		{name: "scram-sha-256", cfg: SASLConfig{Mechanism: SASLScramSHA256, Username: "u", Password: pw}, wantName: "SCRAM-SHA-256"},
		{name: "scram-sha-512", cfg: SASLConfig{Mechanism: SASLScramSHA512, Username: "u", Password: pw}, wantName: "SCRAM-SHA-512"},
		{name: "unset variable", cfg: SASLConfig{Mechanism: SASLPlain, Username: "u", Password: secret.Ref{Env: "MISSING"}},
			wantErr: "password: secret from environment variable MISSING: variable is not set"},
		{name: "unknown mechanism", cfg: SASLConfig{Mechanism: "gssapi", Username: "u", Password: pw},
			wantErr: `unknown mechanism "gssapi"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := buildSASL(tc.cfg, res)
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			if tc.wantName == "" {
				require.Nil(t, m)
				return
			}
			require.Equal(t, tc.wantName, m.Name())
			switch m := m.(type) {
			case plain.Mechanism:
				require.Equal(t, plain.Mechanism{Username: "u", Password: "hunter2"}, m)
			default:
				// SCRAM mechanisms are opaque; their first message names the user.
				require.Contains(t, tc.wantName, "SCRAM")
				_, first, err := m.Start(context.Background())
				require.NoError(t, err)
				require.Contains(t, string(first), "n=u,")
			}
		})
	}
}

// TestNewAppliesTLSAndSASL checks that the settings reach the dialers that
// kafka-go uses, and that a bad CA file fails New with a clear error.
func TestNewAppliesTLSAndSASL(t *testing.T) {
	dir := t.TempDir()
	caFile, _ := writePEM(t, dir, "ca")
	cfg := testConfig("127.0.0.1:9093", "predictions", "group")
	cfg.TLS = TLSConfig{Enabled: true, CAFile: caFile, ServerName: "kafka.internal"}
	cfg.SASL = SASLConfig{Mechanism: SASLScramSHA512, Username: "u", Password: secret.Ref{Env: "P"}}
	opts := Options{Logger: discardLogger(), ClientID: "dw-test",
		Secrets: secret.Resolver{LookupEnv: func(string) (string, bool) { return "pw", true }}}

	c, err := New(cfg, opts)
	require.NoError(t, err)
	require.Equal(t, "kafka.internal", c.dialer.TLS.ServerName)
	require.Equal(t, "SCRAM-SHA-512", c.dialer.SASLMechanism.Name())
	require.Equal(t, "dw-test", c.dialer.ClientID)
	require.Same(t, c.dialer, c.group.Dialer)

	d, err := NewDeadLetter(withDeadLetter(cfg, "dead"), opts)
	require.NoError(t, err)
	require.Equal(t, "kafka.internal", d.transport.TLS.ServerName)
	require.Equal(t, "SCRAM-SHA-512", d.transport.SASL.Name())
	require.NoError(t, d.Close())

	cfg.TLS.CAFile = filepath.Join(dir, "missing.pem")
	_, err = New(cfg, opts)
	require.ErrorContains(t, err, "kafkasource: tls: reading ca_file: open "+cfg.TLS.CAFile)
	_, err = NewDeadLetter(withDeadLetter(cfg, "dead"), opts)
	require.ErrorContains(t, err, "kafkasource: tls: reading ca_file")
}

func withDeadLetter(cfg Config, topic string) Config {
	cfg.DeadLetterTopic = topic
	return cfg
}
