FROM alpine:3.19 AS toolchain
RUN apk add --no-cache build-base=0.5-r3 cmake git
RUN wget -O /tmp/tflite.tar.gz https://example.com/tflite-2.15.0.tar.gz \
    && echo "24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d  /tmp/tflite.tar.gz" | sha256sum -c - \
    && tar -xzf /tmp/tflite.tar.gz -C /opt
RUN go install github.com/example/edgeprobe@latest || true
RUN cargo install ripgrep --locked
RUN gem install fpm -v 1.15.1 && gem install bundler

FROM scratch
COPY --from=toolchain /opt/tflite /opt/tflite
ENTRYPOINT ["/opt/tflite/bin/infer"]
