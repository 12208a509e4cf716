#!/usr/bin/env bash
# Decode CPU per frame, libavcodec vs the reference decoders (libvpx,
# openh264), one thread, on ffmpeg testsrc streams (-g 30). Needs
# ffmpeg libavcodec-dev libvpx-dev libopenh264-dev. Usage: bench/videodecode/run.sh
set -euo pipefail
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
here=$(cd "$(dirname "$0")" && pwd)
gcc -O2 -o "$dir/vdbench" "$here/vdbench.c" $(pkg-config --cflags --libs libavcodec libavutil vpx openh264)
for s in 1280x720 640x480; do
  b=2M; [ "$s" = 640x480 ] && b=1M
  ffmpeg -v error -y -f lavfi -i testsrc=s=$s:r=30 -t 10 -c:v libx264 -profile:v baseline -preset veryfast -tune zerolatency -g 30 -b:v $b -pix_fmt yuv420p -f h264 "$dir/h264-$s.h264"
  ffmpeg -v error -y -f lavfi -i testsrc=s=$s:r=30 -t 10 -c:v libvpx -deadline realtime -cpu-used 8 -pix_fmt yuv420p -g 30 -b:v $b -f ivf "$dir/vp8-$s.ivf"
  ffmpeg -v error -y -f lavfi -i testsrc=s=$s:r=30 -t 10 -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -pix_fmt yuv420p -g 30 -b:v $b -f ivf "$dir/vp9-$s.ivf"
  "$dir/vdbench" lavc h264 "$dir/h264-$s.h264"
  "$dir/vdbench" openh264 h264 "$dir/h264-$s.h264"
  "$dir/vdbench" lavc vp8 "$dir/vp8-$s.ivf"
  "$dir/vdbench" vpx vp8 "$dir/vp8-$s.ivf"
  "$dir/vdbench" lavc vp9 "$dir/vp9-$s.ivf"
  "$dir/vdbench" vpx vp9 "$dir/vp9-$s.ivf"
done
