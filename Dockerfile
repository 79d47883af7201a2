# itemvec worker image. Build: docker build -t itemvec .
# GPU image: docker build --target gpu -t itemvec:gpu .
FROM golang:1.26-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm libturbojpeg0-dev libjpeg-turbo-progs \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Fetches ORT (npm), converts the image model, builds the sample catalog; all pinned and checksummed.
# The image runs the deployment build (-tags worker): no demo, no converters.
RUN make setup build build-worker

FROM build AS build-gpu
RUN make setup-gpu

FROM debian:bookworm-slim AS cpu
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates locales libturbojpeg0 \
    && sed -i 's/^# *en_US.UTF-8/en_US.UTF-8/' /etc/locale.gen && locale-gen && rm -rf /var/lib/apt/lists/*
ENV LANG=en_US.UTF-8 ITEMVEC_DEPS=/opt/itemvec/deps
COPY --from=build /src/bin/itemvec-worker /usr/local/bin/itemvec
COPY --from=build /src/.deps/ort /opt/itemvec/deps/ort
COPY --from=build /src/.deps/models /opt/itemvec/deps/models
COPY --from=build /src/.deps/catalog /opt/itemvec/deps/catalog
USER 65532:65532
ENTRYPOINT ["itemvec"]
CMD ["worker"]

# CUDA 13 runtime + cuDNN: what the ORT 1.29 CUDA provider libraries need.
FROM nvidia/cuda:13.0.0-cudnn-runtime-ubuntu24.04 AS gpu
# libturbojpeg: Ubuntu's name for the TurboJPEG library (libturbojpeg.so.0) the decoder links.
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates locales libturbojpeg \
    && locale-gen en_US.UTF-8 && rm -rf /var/lib/apt/lists/*
# The device is the default command's flag, not an image-wide ITEMVEC_DEVICE:
# that variable would also reach `itemvec recommend --device` (a shopper's device).
ENV LANG=en_US.UTF-8 ITEMVEC_DEPS=/opt/itemvec/deps
COPY --from=build-gpu /src/bin/itemvec-worker /usr/local/bin/itemvec
COPY --from=build-gpu /src/.deps/ort /opt/itemvec/deps/ort
COPY --from=build-gpu /src/.deps/models /opt/itemvec/deps/models
ENTRYPOINT ["itemvec"]
CMD ["worker", "--device", "cuda"]

FROM cpu
