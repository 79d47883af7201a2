//go:build tools

package itemvec
import (
	_ "github.com/hibiken/asynq"
	_ "github.com/redis/go-redis/v9"
	_ "github.com/alicebob/miniredis/v2"
	_ "github.com/johannesboyne/gofakes3"
	_ "github.com/johannesboyne/gofakes3/backend/s3mem"
	_ "github.com/aws/aws-sdk-go-v2/aws"
	_ "github.com/aws/aws-sdk-go-v2/config"
	_ "github.com/aws/aws-sdk-go-v2/credentials"
	_ "github.com/aws/aws-sdk-go-v2/service/s3"
	_ "github.com/disintegration/imaging"
	_ "golang.org/x/image/webp"
	_ "github.com/yalue/onnxruntime_go"
	_ "github.com/advancedclimatesystems/gonnx/onnx"
	_ "google.golang.org/protobuf/proto"
	_ "github.com/spf13/cobra"
)
