//go:build tools

package main
import (
 _ "github.com/tencentyun/scf-go-lib/cloudfunction"
 _ "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
 _ "github.com/go-playground/validator/v10"
 _ "github.com/twmb/franz-go/pkg/kfake"
 _ "github.com/twmb/franz-go/pkg/kadm"
 _ "github.com/twmb/franz-go/pkg/kgo"
 _ "golang.org/x/time/rate"
)

