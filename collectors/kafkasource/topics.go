package kafkasource

import (
	"context"
	"errors"
	"fmt"
	"time"

	kafka "github.com/segmentio/kafka-go"
)

// waitForTopics returns once every configured topic exists. Joining
// earlier would consume nothing at all: when any subscribed topic is
// missing, kafka-go's group leader reads no partitions for any topic and
// assigns none.
func (c *Consumer) waitForTopics(ctx context.Context) error {
	tr := c.conn.transport()
	defer tr.CloseIdleConnections()
	cl := &kafka.Client{Addr: kafka.TCP(c.cfg.Brokers...), Transport: tr, Timeout: readTimeout}
	delay := c.opts.JoinBackoff
	for {
		missing, err := c.missingTopics(ctx, cl)
		switch {
		case err == nil && len(missing) == 0:
			return nil
		case err == nil:
			c.log.Warn("waiting for topics to be created", "missing", missing)
		case fatal(ClassifyError(err)):
			return fmt.Errorf("kafkasource: reading topic metadata: %w", err)
		default:
			c.stats.joinErrors.Add(1)
			c.log.Warn("reading topic metadata failed, retrying", "class", string(ClassifyError(err)), "err", err)
		}
		if !sleep(ctx, delay) {
			return nil
		}
		delay = min(2*delay, 10*c.opts.JoinBackoff, 30*time.Second)
	}
}

func (c *Consumer) missingTopics(ctx context.Context, cl *kafka.Client) ([]string, error) {
	res, err := cl.Metadata(ctx, &kafka.MetadataRequest{Topics: c.group.Topics})
	if err != nil {
		return nil, err
	}
	found := map[string]bool{}
	for _, t := range res.Topics {
		switch {
		case t.Error == nil:
			found[t.Name] = true
		case !errors.Is(t.Error, kafka.UnknownTopicOrPartition):
			return nil, fmt.Errorf("topic %s: %w", t.Name, t.Error)
		}
	}
	var missing []string
	for _, t := range c.group.Topics {
		if !found[t] {
			missing = append(missing, t)
		}
	}
	return missing, nil
}
