# fragment appended to a generated Dockerfile by build.sh
RUN pip install --no-cache-dir cupy-cuda12x==13.1.0
ENV CUDA_VISIBLE_DEVICES=0
