# psort vs GNU sort (same flags). GNU gets --parallel=2 -S 2G where noted so
# it sorts in memory on all cores, as psort does by default.
TAB=$'\t'
compare "sort -t\\t -k1,1 left.tsv" "$BIN/psort -t '$TAB' -k1,1 $DATA/left.tsv" \
  "GNU sort --parallel=2 -S 2G" "sort --parallel=2 -S 2G -t '$TAB' -k1,1 $DATA/left.tsv"
compare "sort -S 50M -t\\t -k1,1 left.tsv" "$BIN/psort -S 50M -t '$TAB' -k1,1 $DATA/left.tsv" \
  "GNU sort -S 50M" "sort --parallel=2 -S 50M -t '$TAB' -k1,1 $DATA/left.tsv"
compare "sort lines.txt" "$BIN/psort $DATA/lines.txt" \
  "GNU sort" "sort $DATA/lines.txt"
compare "sort -t, -k4,4n trips.csv" "$BIN/psort -t, -k4,4n $DATA/trips.csv" \
  "GNU sort" "sort -t, -k4,4n $DATA/trips.csv"
