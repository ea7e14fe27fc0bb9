#!/usr/bin/env bash
# Video hashing speed: seconds of video hashed per second of wall time for a generated 60 s 1080p30 H.264 clip
# (benign lavfi patterns), in the reference-faithful mode and the faster ones. Needs ffmpeg.
# Usage: scripts/bench-video.sh [WORKDIR]   (the clip is kept in WORKDIR and reused)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/needle-video-bench}
mkdir -p "$work"
clip="$work/hd-6mbit.mp4"
if [ ! -f "$clip" ]; then
  echo "generating $clip (60 s, 1920x1080, 30 fps, H.264 at 6 Mbit/s)..." >&2
  ffmpeg -v error -y -f lavfi -i "testsrc2=size=1920x1080:rate=30" -f lavfi -i "mandelbrot=size=1920x1080:rate=30" \
    -filter_complex "[0][1]blend=all_mode=average" -t 60 \
    -c:v libx264 -preset veryfast -b:v 6M -maxrate 6M -bufsize 12M -pix_fmt yuv420p "$clip"
fi
dotnet build src/Needle.Cli -c Release -v quiet -nologo >/dev/null
needle=src/Needle.Cli/bin/Release/net10.0/needle
duration=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$clip")
for mode in "" "--video-fast" "--video-keyframes"; do
  start=$(date +%s.%N)
  $needle hash --no-progress $mode "$clip" > "$work/out${mode:-default}.csv"
  end=$(date +%s.%N)
  awk -v d="$duration" -v s="$start" -v e="$end" -v m="${mode:-reference}" -v n="$(wc -l < "$work/out${mode:-default}.csv")" \
    'BEGIN { printf "%-18s %3d frames  %6.2f s wall  %5.1fx real time\n", m, n, e - s, d / (e - s) }'
done
