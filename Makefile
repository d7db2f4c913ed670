# nerkit build. `make` builds the libraries and programs; `make test` runs
# every test; `make asan` runs them again under AddressSanitizer + UBSan.

CC       ?= cc
NER_DATA ?= ../shared/data
export NER_DATA

# -O2 vectorizes only loops whose trip count it knows; the cheap cost
# model lets it vectorize the label-row sums and the vector dequantization
# of the tagger too (27% faster tagging, the same results: no float
# reassociation)
OPT     ?= -O2 -fvect-cost-model=cheap
# a popcount instruction for the weight index (every x86-64 since 2008)
ARCH    ?= $(if $(filter x86_64,$(shell uname -m)),-mpopcnt)
CFLAGS  := $(OPT) $(ARCH) -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
           -Iinclude -fPIC
# OpenBLAS does the dense matrix products (cblas_sgemm), LAPACKE the QR and
# SVD of nerkit-embed: Debian's libopenblas-dev and liblapacke-dev
# OpenBLAS's own headers (pkg-config openblas), ahead of any other cblas.h
# on the include path: netlib's (libblas-dev) lacks blasint and declares
# cblas_sgemm differently
BLAS_CFLAGS := $(shell pkg-config --cflags openblas 2>/dev/null)
BLAS_LIBS   := $(or $(shell pkg-config --libs openblas 2>/dev/null),-lopenblas)
CFLAGS  += $(BLAS_CFLAGS)
LDLIBS  := -llbfgs -llapacke $(BLAS_LIBS) -lz -lm -lpthread

# Object files go to $(B), programs to $(BIN): the sanitizer build uses
# its own pair so the two never mix.
B       ?= build
BIN     ?= bin
LIB_SRC := $(wildcard src/*/*.c) $(filter-out train/nerkit-train.c,$(wildcard train/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
PROGS   := $(BIN)/nerkit-train $(BIN)/nerkit-tag $(BIN)/nerkit-eval $(BIN)/nerkit-bench \
           $(BIN)/nerkit-embed \
           $(BIN)/tokenizer_agreement $(BIN)/crf_confidence $(BIN)/dense_bench
TESTS   := $(patsubst tests/%.c,$(B)/tests/%,$(wildcard tests/test_*.c))
HEADERS := include/nerkit.h $(wildcard src/*/*.h) train/trainer.h train/crf.h cli/args.h
# the command-line checks every program shares (cli/args.h)
CLI_OBJ := $(B)/cli/args.o
SAN     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

.PHONY: all deps build test check asan model demo bench clean fuzz fuzzers
all:
	@sh tests/deps.sh
	@$(MAKE) --no-print-directory build

build: $(PROGS) lib/libnerkit.a lib/libnerkit.so

# Installs missing build packages (Debian's apt-get) when needed.
deps:
	@sh tests/deps.sh

$(B)/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/libnerkit.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^
lib/libnerkit.a: $(B)/libnerkit.a
	@mkdir -p lib && cp $< $@
lib/libnerkit.so: $(LIB_OBJ)
	@mkdir -p lib
	$(CC) $(CFLAGS) -shared -o $@ $^ $(LDLIBS)

$(BIN)/nerkit-train: $(B)/train/nerkit-train.o $(CLI_OBJ) $(B)/libnerkit.a
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
$(BIN)/tokenizer_agreement $(BIN)/crf_confidence $(BIN)/dense_bench: $(BIN)/%: $(B)/bench/%.o $(CLI_OBJ) $(B)/libnerkit.a
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
$(BIN)/%: $(B)/cli/%.o $(CLI_OBJ) $(B)/libnerkit.a
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/%: tests/%.c $(B)/libnerkit.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(B)/libnerkit.a -lcmocka $(LDLIBS)

# Unit tests (cmocka), then the end-to-end scripts, which use the programs.
test:
	@sh tests/deps.sh
	@$(MAKE) --no-print-directory check

# The fault-injection shim (tests/e2e_faults.sh) is preloaded into programs
# of either build, so it is built plainly, without sanitizers.
$(B)/tests/libfailio.so: tests/fault/failio.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -Werror -shared -fPIC -o $@ $< -ldl

check: $(PROGS) $(TESTS) $(B)/tests/libfailio.so
	@sh tests/run.sh $(B) $(BIN)

# build-asan/models makes ../models beside the sanitizer programs what it
# is beside bin/'s: where nerkit-tag finds its default model.
asan:
	@sh tests/deps.sh
	@mkdir -p build-asan && ln -sfn ../models build-asan/models
	@$(MAKE) --no-print-directory B=build-asan BIN=build-asan/bin OPT="$(SAN)" check

# libFuzzer harnesses (tests/fuzz) for every reader, built with clang under
# ASan + UBSan in build-fuzz, each run for FUZZ_SECONDS.
FUZZ_SECONDS ?= 30
FUZZERS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

fuzz:
	@sh tests/deps.sh fuzz
	@$(MAKE) --no-print-directory B=build-fuzz CC=clang OPT="$(SAN) -fsanitize=fuzzer-no-link" fuzzers
	@sh tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

fuzzers: $(FUZZERS:%=$(B)/fuzz/%)
$(B)/fuzz/%: tests/fuzz/%.c tests/fuzz/common.c tests/fuzz/common.h $(B)/libnerkit.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< tests/fuzz/common.c $(B)/libnerkit.a $(LDLIBS)

# The default English model: word vectors and their k-means clusters learned
# by nerkit-embed from the unlabelled text, the Brown clusters, then the
# perceptron on CoNLL-2003 train with dev for choosing the epoch.
REPR := $(B)/model
model: $(BIN)/nerkit-train $(BIN)/nerkit-embed
	@mkdir -p $(REPR)
	$(BIN)/nerkit-embed -q -o $(REPR)/news.vec --dim 100 --window 5 $(NER_DATA)/unlabeled
	$(BIN)/nerkit-embed -q --clusters 64,256,1024 -o $(REPR)/news.clusters $(REPR)/news.vec
	$(BIN)/nerkit-train -t $(NER_DATA)/conll2003/train.txt -d $(NER_DATA)/conll2003/dev.txt \
	    --embeddings $(REPR)/news.vec --clusters $(REPR)/news.clusters \
	    --clusters $(NER_DATA)/clusters/nlp4j_twitter_brown_lowercase.txt \
	    -o models/en-conll03.nerkit

demo: all
	$(BIN)/nerkit-tag -m models/en-conll03.nerkit -o inline data/sample.txt

# Tagging speed: CoNLL-2003 dev x 20 through -i conll (median of 5 runs,
# peak memory), then raw gzip text stage by stage and thread by thread.
bench: all
	BIN=$(BIN) bash bench/tag-conll.sh
	BIN=$(BIN) bash bench/tag-text.sh

clean:
	rm -rf build build-asan build-fuzz bin lib
