# pmerge: merge 8 sorted pieces of lines.txt, vs GNU sort -m.
# The pieces are cut and sorted once (GNU sort, LC_ALL=C) and cached in
# $DATA/merge-pieces.
PIECES=$DATA/merge-pieces
if [ ! -f "$PIECES/.done" ]; then
  mkdir -p "$PIECES"
  split -n l/8 -d "$DATA/lines.txt" "$PIECES/raw-"
  for f in "$PIECES"/raw-*; do
    sort -S 1G "$f" > "${f/raw-/piece-}" && rm "$f"
  done
  touch "$PIECES/.done"
fi
compare "merge 8 sorted pieces of lines.txt" "$BIN/pmerge $PIECES/piece-*" \
  "GNU sort -m" "sort -m $PIECES/piece-*"
compare "merge 8 pieces -u" "$BIN/pmerge -u $PIECES/piece-*" \
  "GNU sort -m -u" "sort -m -u $PIECES/piece-*"
