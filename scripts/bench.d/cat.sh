# pcat: plain copy vs cat (into /dev/null, and into a pipe as in a real
# pipeline); 16 gzip parts vs zcat, pigz, parallel pigz.
compare "cat trips.csv > /dev/null" "$BIN/pcat $DATA/trips.csv" \
  "GNU cat" "cat $DATA/trips.csv"
compare "cat trips.csv | cat" "$BIN/pcat $DATA/trips.csv | cat" \
  "GNU cat" "cat $DATA/trips.csv | cat"
compare "16 gzip parts" "$BIN/pcat $DATA/parts/*.csv.gz" \
  "zcat" "zcat $DATA/parts/*.csv.gz" \
  "pigz -dc" "pigz -dc $DATA/parts/*.csv.gz" \
  "parallel -j2 -k pigz -dc" "parallel -j2 -k pigz -dc ::: $DATA/parts/*.csv.gz"
