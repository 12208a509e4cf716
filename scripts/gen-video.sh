#!/usr/bin/env bash
# Generates the small VP8, VP9 and H.264 test streams in media/video/testdata (IVF, 2 s, 15 fps,
# one key frame per second). Needs ffmpeg (Debian package `ffmpeg`, with
# libvpx). The outputs are committed; run this again only to change them.
#
#   red-WxH.ivf     solid red (255,0,0)
#   bars-WxH.ivf    8 full-height 100% bars: white yellow cyan green magenta red blue black
#   square-WxH.ivf  a white square (H/6) moving left to right over black
#   scene-1280x720.ivf  1 s of a detailed Mandelbrot zoom, ~44 KB key frame
#                   (about a real 720p camera key frame; used by the benchmark)
#
# Usage: scripts/gen-video.sh [outdir]   (default media/video/testdata)
set -euo pipefail

out="${1:-$(dirname "$0")/../media/video/testdata}"
mkdir -p "$out"

if ! command -v ffmpeg >/dev/null; then
  echo "gen-video: ffmpeg not found (apt-get install -y ffmpeg)" >&2
  exit 1
fi

# Real-time style VP8: no alt-ref (hidden) frames, a key frame every 15 frames.
vp8=(-c:v libvpx -deadline good -cpu-used 4 -lag-in-frames 0 -auto-alt-ref 0
  -g 15 -keyint_min 15 -b:v 600k -crf 8 -qmin 2 -qmax 40 -pix_fmt yuv420p -an -f ivf)

gen() { # name size filtergraph [extra ffmpeg output options]
  local name="$1" size="$2" graph="$3"
  shift 3
  ffmpeg -hide_banner -loglevel error -y -filter_complex "$graph" -t 2 "${vp8[@]}" "$@" \
    -fflags +bitexact -map_metadata -1 "$out/$name-$size.ivf"
}

for size in 640x480 1280x720; do
  w="${size%x*}"
  h="${size#*x}"
  sq=$((h / 6))
  gen red "$size" "color=c=0xFF0000:s=$size:r=15"
  gen bars "$size" "pal100bars=s=$size:r=15"
  gen square "$size" "color=c=black:s=$size:r=15[bg];color=c=white:s=${sq}x${sq}:r=15[sq];[bg][sq]overlay=x='(W-w)*t/2':y=(H-h)/2:shortest=1"
done
gen scene 1280x720 "mandelbrot=s=1280x720:r=15" -t 1 -b:v 1000k -crf 4 -qmin 4 -qmax 50

# One second of a solid colour in each codec at 320x240 (one key frame),
# a moving testsrc at 160x120 (VP9 of this RGB source is profile 1, planar
# GBR: with the H.264 4:4:4 stream it takes the libswscale path). H.264: constrained baseline, as cameras send; VP8/VP9: realtime.
h264=(-c:v libx264 -profile:v baseline -preset veryfast -tune zerolatency -pix_fmt yuv420p -f h264)
vpx8=(-c:v libvpx -deadline realtime -cpu-used 8 -f ivf)
vpx9=(-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -f ivf)
lavfi() { ffmpeg -hide_banner -loglevel error -y -f lavfi -i "$1" "${@:2}"; }
for c in red green blue; do
  lavfi "color=c=$c:s=320x240:r=15" -t 1 -g 15 "${h264[@]}" "$out/$c-320x240.h264"
  lavfi "color=c=$c:s=320x240:r=15" -t 1 -g 15 "${vpx8[@]}" "$out/$c-320x240-vp8.ivf"
  lavfi "color=c=$c:s=320x240:r=15" -t 1 -g 15 "${vpx9[@]}" "$out/$c-320x240-vp9.ivf"
done
lavfi testsrc=s=160x120:r=15 -t 1 -g 15 "${h264[@]}" "$out/testsrc-160x120-h264.h264"
lavfi testsrc=s=160x120:r=15 -t 1 -g 15 "${vpx8[@]}" "$out/testsrc-160x120-vp8.ivf"
lavfi testsrc=s=160x120:r=15 -t 1 -g 15 "${vpx9[@]}" "$out/testsrc-160x120-vp9.ivf"
lavfi color=c=red:s=160x120:r=15 -t 0.4 -c:v libx264 -profile:v high444 -tune zerolatency -pix_fmt yuv444p -f h264 "$out/red-160x120-444.h264"
# Two temporal layers: every other frame is referenced by none.
lavfi testsrc=s=160x120:r=15 -t 1 -g 15 -c:v libvpx -deadline realtime -cpu-used 8 -pix_fmt yuv420p -b:v 300k \
  -ts-parameters ts_number_layers=2:ts_target_bitrate=150,300:ts_rate_decimator=2,1:ts_periodicity=2:ts_layer_id=0,1:ts_layering_mode=2 \
  -f ivf "$out/layers-160x120-vp8.ivf"

ls -l "$out"/*.ivf "$out"/*.h264
