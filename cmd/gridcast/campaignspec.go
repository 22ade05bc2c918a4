package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gridcast/gridcast/campaigns"
)

// campaignSpec is the YAML file `gridcast campaign create --file` reads.
// See examples/job-posting.yaml.
type campaignSpec struct {
	Name          string            `yaml:"name"`
	Kind          string            `yaml:"kind"`
	Segment       string            `yaml:"segment"`
	ChannelPolicy string            `yaml:"channel_policy"`
	Owner         string            `yaml:"owner"`
	ScheduleAt    string            `yaml:"schedule_at"`
	ExpiresAt     string            `yaml:"expires_at"`
	Recurrence    string            `yaml:"recurrence"`
	Text          string            `yaml:"text"`
	ReplyOptions  map[string]string `yaml:"reply_options"`
	ExtendCode    string            `yaml:"extend_code"`
	SMS           struct {
		SignName     string            `yaml:"sign_name"`
		TemplateCode string            `yaml:"template_code"`
		Params       map[string]string `yaml:"params"`
	} `yaml:"sms"`
	WeChat struct {
		TemplateID string            `yaml:"template_id"`
		URL        string            `yaml:"url"`
		Fields     map[string]string `yaml:"fields"`
	} `yaml:"wechat"`
}

// readCampaignSpec strictly decodes a campaign file (unknown keys are an
// error naming the key) into a draft campaign.
func readCampaignSpec(r io.Reader) (campaigns.Campaign, error) {
	data, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return campaigns.Campaign{}, err
	}
	var s campaignSpec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return campaigns.Campaign{}, fmt.Errorf("campaign file: %w", err)
	}
	var errs []error
	kind, err := campaigns.ParseKind(s.Kind)
	if err != nil {
		errs = append(errs, fmt.Errorf("kind: %w", err))
	}
	at := func(key, v string) time.Time {
		if v == "" {
			return time.Time{}
		}
		for _, layout := range []string{time.RFC3339, "2006-01-02 15:04", "2006-01-02"} {
			if t, err := time.ParseInLocation(layout, v, campaigns.Shanghai()); err == nil {
				return t
			}
		}
		errs = append(errs, fmt.Errorf("%s: %q: want 2006-01-02 15:04 (Asia/Shanghai) or RFC 3339", key, v))
		return time.Time{}
	}
	scheduleAt := at("schedule_at", s.ScheduleAt)
	if scheduleAt.IsZero() {
		scheduleAt = time.Now() // empty: as soon as it is sent
	}
	c := campaigns.Campaign{
		Name: s.Name, Kind: kind, Segment: s.Segment, ChannelPolicy: campaigns.ChannelPolicy(s.ChannelPolicy),
		Owner: s.Owner, ScheduleAt: scheduleAt, ExpiresAt: at("expires_at", s.ExpiresAt),
		Recurrence: s.Recurrence, Text: s.Text, ReplyOptions: s.ReplyOptions, ExtendCode: s.ExtendCode,
		SMS:    campaigns.SMSContent{SignName: s.SMS.SignName, TemplateCode: s.SMS.TemplateCode, Params: s.SMS.Params},
		WeChat: campaigns.WeChatContent{TemplateID: s.WeChat.TemplateID, URL: s.WeChat.URL, Fields: s.WeChat.Fields},
	}
	return c, errors.Join(errs...)
}

func readCampaignFile(path string) (campaigns.Campaign, error) {
	f, err := os.Open(path)
	if err != nil {
		return campaigns.Campaign{}, err
	}
	defer f.Close()
	return readCampaignSpec(f)
}
