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
# Only the API of include/nerkit.h leaves a shared library (nerkit.h marks
# it default); the rest is internal, and calls to it bind inside the library
CFLAGS  += -fvisibility=hidden

# Two libraries. libnerkit loads models, tags, decodes, evaluates, reads
# and writes text: src/base, core, decode, text, eval. libnerkit-train adds
# the trainers (train/) and the learning of word representations
# (src/embed/), and with them liblbfgs and LAPACKE, which a program that
# only tags never loads.
LIBS_TAG   := $(BLAS_LIBS) -lz -lm -lpthread
LIBS_TRAIN := -llbfgs -llapacke $(LIBS_TAG)
VERSION := $(shell sed -n 's/^\#define NERKIT_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\).*/\2/p' \
                include/nerkit.h | paste -sd. -)
VERSION := $(or $(VERSION),0.2.0)
MAJOR   := $(firstword $(subst ., ,$(VERSION)))

# Object files go to $(B), programs to $(BIN): the sanitizer build uses
# its own pair so the two never mix.
B       ?= build
BIN     ?= bin
LIB     ?= $(if $(filter build,$(B)),lib,$(B)/lib)
TAG_SRC   := $(wildcard src/base/*.c src/core/*.c src/decode/*.c src/text/*.c src/eval/*.c)
TRAIN_SRC := $(wildcard src/embed/*.c) $(filter-out train/nerkit-train.c,$(wildcard train/*.c))
TAG_OBJ   := $(TAG_SRC:%.c=$(B)/%.o)
TRAIN_OBJ := $(TRAIN_SRC:%.c=$(B)/%.o)
TAG_LIB   := $(B)/libnerkit.a
TRAIN_LIB := $(B)/libnerkit-train.a $(B)/libnerkit.a
TAG_PROGS   := $(BIN)/nerkit-tag $(BIN)/nerkit-eval $(BIN)/nerkit-bench $(BIN)/nerkit-dict
TRAIN_PROGS := $(BIN)/nerkit-train $(BIN)/nerkit-embed
BENCH_PROGS := $(BIN)/tokenizer_agreement $(BIN)/crf_confidence $(BIN)/dense_bench
PROGS   := $(TAG_PROGS) $(TRAIN_PROGS) $(BENCH_PROGS)
SHARED  := $(LIB)/libnerkit.so.$(VERSION) $(LIB)/libnerkit-train.so.$(VERSION)
TESTS   := $(patsubst tests/%.c,$(B)/tests/%,$(wildcard tests/test_*.c))
HEADERS := include/nerkit.h $(wildcard src/*/*.h) train/trainer.h train/crf.h cli/args.h
# the command-line checks every program shares (cli/args.h)
CLI_OBJ := $(B)/cli/args.o
SAN     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

.PHONY: all deps build test check asan model models gazetteer demo bench clean fuzz fuzzers install uninstall
all:
	@sh tests/deps.sh
	@$(MAKE) --no-print-directory build

build: $(PROGS) $(LIB)/libnerkit.a $(LIB)/libnerkit-train.a $(SHARED)

# Installs missing build packages (Debian's apt-get) when needed.
deps:
	@sh tests/deps.sh

$(B)/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# Taggers of one model share their token cache across processes only when
# their builds would sum a token alike: its name has a checksum of the
# tagging code and of how it was compiled (src/core/tokcache.c).
SOURCE_ID := $(shell (cat $(sort $(TAG_SRC)) $(HEADERS); echo "$(CC) $(CFLAGS)") | cksum | cut -d' ' -f1)
$(B)/src/core/tokcache.o: src/core/tokcache.c $(TAG_SRC) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DNK_SOURCE_ID=$(SOURCE_ID)u -c $< -o $@

$(B)/libnerkit.a: $(TAG_OBJ)
	rm -f $@ && ar rcs $@ $^
$(B)/libnerkit-train.a: $(TRAIN_OBJ)
	rm -f $@ && ar rcs $@ $^
$(LIB)/%.a: $(B)/%.a
	@mkdir -p $(LIB) && cp $< $@

# Shared libraries with versioned sonames. libnerkit-train.so carries its
# own hidden copy of libnerkit's internals (the trainers build models from
# them) and exports only the functions defined in its own objects, listed
# from them at link time.
$(LIB)/libnerkit.so.$(VERSION): $(TAG_OBJ)
	@mkdir -p $(LIB)
	$(CC) $(CFLAGS) -shared -Wl,-soname,libnerkit.so.$(MAJOR) -o $@ $^ $(LIBS_TAG)
	ln -sf libnerkit.so.$(VERSION) $(LIB)/libnerkit.so.$(MAJOR)
	ln -sf libnerkit.so.$(MAJOR) $(LIB)/libnerkit.so
$(LIB)/libnerkit-train.so.$(VERSION): $(TRAIN_OBJ) $(TAG_OBJ)
	@mkdir -p $(LIB)
	{ echo '{ global:'; nm -g --defined-only $(TRAIN_OBJ) | \
	      awk '$$3 ~ /^nerkit_/ { print "  " $$3 ";" }' | sort -u; echo 'local: *; };'; } \
	    > $(B)/libnerkit-train.map
	$(CC) $(CFLAGS) -shared -Wl,-soname,libnerkit-train.so.$(MAJOR) \
	    -Wl,--version-script=$(B)/libnerkit-train.map -o $@ $^ $(LIBS_TRAIN)
	ln -sf libnerkit-train.so.$(VERSION) $(LIB)/libnerkit-train.so.$(MAJOR)
	ln -sf libnerkit-train.so.$(MAJOR) $(LIB)/libnerkit-train.so

# The programs link the static libraries: they run from the build tree or
# an install without a library path, and a tagger loads neither liblbfgs
# nor LAPACKE.
$(TAG_PROGS): $(BIN)/%: $(B)/cli/%.o $(CLI_OBJ) $(TAG_LIB)
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS_TAG)
$(BIN)/nerkit-train: $(B)/train/nerkit-train.o $(CLI_OBJ) $(TRAIN_LIB)
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS_TRAIN)
$(BIN)/nerkit-embed: $(B)/cli/nerkit-embed.o $(CLI_OBJ) $(TRAIN_LIB)
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS_TRAIN)
$(BENCH_PROGS): $(BIN)/%: $(B)/bench/%.o $(CLI_OBJ) $(TAG_LIB)
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS_TAG)

$(B)/tests/%: tests/%.c $(TRAIN_LIB) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(TRAIN_LIB) -lcmocka $(LIBS_TRAIN)

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
$(B)/fuzz/%: tests/fuzz/%.c tests/fuzz/common.c tests/fuzz/common.h $(TRAIN_LIB) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< tests/fuzz/common.c $(TRAIN_LIB) $(LIBS_TRAIN)

# The default English model (models/README.md). nerkit-embed learns word
# vectors and their k-means clusters from the unlabelled text (the news of
# unlabeled/ and the Wikipedia articles of unlabeled_large/, mixed: 71 M
# tokens), and the model keeps those of the training words and of the
# 100,000 most frequent words. The perceptron trains on CoNLL-2003 train,
# dev choosing the epoch and fitting the probability scale; then, as
# published systems do, on train and dev together with that epoch count and
# scale: that is the shipped model. Half the training documents are also
# copied lower-cased and half upper-cased (text without case), and the
# non-local features see what a first pass tagged elsewhere in the document.
# Five runs of seeds 1 to 5 are averaged (--seeds 5); the train + dev
# runs train for the median of the five best epochs.
# The gazetteer (make gazetteer) is not in it: models/README.md says why.
REPR := $(B)/model
UNLABELED := $(NER_DATA)/unlabeled $(NER_DATA)/unlabeled_large
CONLL03 := $(NER_DATA)/conll2003
MODEL_OPTS = --embeddings $(REPR)/text.vec --clusters $(REPR)/text.clusters \
	--clusters $(NER_DATA)/clusters/nlp4j_twitter_brown_lowercase.txt \
	--lexicon-words 100000 --case-copies lower=0.5,upper=0.5 --features all,nonlocal --seeds 5 \
	--prune 1.5
model: $(BIN)/nerkit-train $(BIN)/nerkit-embed
	@mkdir -p $(REPR)
	$(BIN)/nerkit-embed -q -o $(REPR)/text.vec --dim 100 --window 5 $(UNLABELED)
	$(BIN)/nerkit-embed -q --clusters 64,256,1024 -o $(REPR)/text.clusters $(REPR)/text.vec
	$(BIN)/nerkit-train -t $(CONLL03)/train.txt -d $(CONLL03)/dev.txt $(MODEL_OPTS) \
	    -o $(REPR)/en-conll03.train.nerkit 2> $(REPR)/train.log; \
	    s=$$?; cat $(REPR)/train.log; exit $$s
	cat $(CONLL03)/train.txt $(CONLL03)/dev.txt > $(REPR)/train+dev.txt
	e=$$(awk '/^run [0-9]+\/[0-9]+: epoch .*\*$$/ { split($$2, r, "/"); best[r[1] + 0] = $$4 + 0 } \
	    END { n = 0; for (k in best) v[n++] = best[k]; \
	          for (i = 1; i < n; i++) for (j = i; j > 0 && v[j - 1] > v[j]; j--) { \
	              t = v[j]; v[j] = v[j - 1]; v[j - 1] = t } \
	          if (n) print v[int((n - 1) / 2)] }' $(REPR)/train.log); \
	p=$$(awk '/^probability scale/ { print $$3 }' $(REPR)/train.log); \
	test -n "$$e" && test -n "$$p" || { echo "no epoch or scale in $(REPR)/train.log"; exit 1; }; \
	echo "train + dev: $$e epochs, probability scale $$p"; \
	$(BIN)/nerkit-train -q -t $(REPR)/train+dev.txt -e $$e --prob-scale $$p $(MODEL_OPTS) \
	    -o models/en-conll03.nerkit

# The Spanish and Dutch models of CoNLL-2002 (models/README.md): nerkit-train's
# defaults, testa choosing the epoch and fitting the probability scale. No
# unlabelled Spanish or Dutch text is in $(NER_DATA), so the word vectors and
# clusters are those nerkit-train learns from the training file itself
# (--self-lexicon). The model is the train-only one: trained on train and
# testa together it could not be scored on testa.
CONLL02 := $(NER_DATA)/conll2002
CONLL02_MODELS := models/es-conll02.nerkit models/nl-conll02.nerkit
conll02_file = $(if $(filter es,$(1)),esp,ned)
# phony: a model file already there is made again, as `make model` does
.PHONY: $(CONLL02_MODELS)
models: $(CONLL02_MODELS)
$(CONLL02_MODELS): models/%-conll02.nerkit: $(BIN)/nerkit-train
	$(BIN)/nerkit-train -t $(CONLL02)/$(call conll02_file,$*).train \
	    -d $(CONLL02)/$(call conll02_file,$*).testa -o $@

# The English gazetteer of freely licensed lists, for nerkit-train --gazetteer:
# the phrases whose words the training text or the unlabelled news has.
gazetteer:
	@mkdir -p $(REPR)
	sh train/gazetteers.sh $(REPR)/gazetteer.tsv $(CONLL03)/train.txt $(NER_DATA)/unlabeled/*

demo: all
	$(BIN)/nerkit-tag -m models/en-conll03.nerkit -f inline data/sample.txt

# Tagging speed: CoNLL-2003 dev x 20 through -i conll (median of 5 runs,
# peak memory), then raw gzip text stage by stage and thread by thread.
bench: all
	BIN=$(BIN) bash bench/tag-conll.sh
	BIN=$(BIN) bash bench/tag-text.sh

# make install [PREFIX=/usr/local] [DESTDIR=staging root]: the programs, both
# libraries (static and shared), the header, a pkg-config file for each
# library, the man pages, the shipped models, which the installed
# nerkit-tag finds in PREFIX/share/nerkit, and the Python package. make
# uninstall removes exactly these.
PREFIX  ?= /usr/local
D       := $(DESTDIR)$(PREFIX)
INSTALLED_PROGS := nerkit-tag nerkit-eval nerkit-bench nerkit-dict nerkit-train nerkit-embed
MAN1    := $(wildcard man/*.1)
MAN3    := $(wildcard man/*.3)
MODELS  := $(wildcard models/*.nerkit)
# The Python package (python/nerkit) goes where Debian's python3 looks for
# the prefix's packages: /usr/lib/python3/dist-packages for /usr, else
# PREFIX/lib/python3.X/dist-packages (/usr/local's is on its path; another
# prefix's is put on PYTHONPATH). Its _install.py tells it where the
# library is, so it needs no LD_LIBRARY_PATH.
PYTHON  ?= /usr/bin/python3
PYVER   := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
PYDIR   ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/python3/dist-packages,$(PREFIX)/lib/python$(or $(PYVER),3)/dist-packages)
PYFILES := $(wildcard python/nerkit/*.py)

# pc NAME DESCRIPTION LIBS PRIVATE-LIBS: writes NAME.pc
define pc
	{ echo 'prefix=$(PREFIX)'; echo 'libdir=$${prefix}/lib'; echo 'includedir=$${prefix}/include'; \
	  echo; echo 'Name: $(1)'; echo 'Description: $(2)'; echo 'Version: $(VERSION)'; \
	  echo 'Cflags: -I$${includedir}'; \
	  echo 'Libs: -L$${libdir} $(3)'; echo 'Libs.private: $(4)'; } > $(D)/lib/pkgconfig/$(1).pc
endef

install: build
	install -d $(D)/bin $(D)/lib/pkgconfig $(D)/include $(D)/share/man/man1 $(D)/share/man/man3 \
	    $(D)/share/nerkit
	install -m 755 $(INSTALLED_PROGS:%=$(BIN)/%) $(D)/bin
	install -m 644 $(LIB)/libnerkit.a $(LIB)/libnerkit-train.a $(D)/lib
	install -m 755 $(SHARED) $(D)/lib
	cp -P $(LIB)/libnerkit.so $(LIB)/libnerkit.so.$(MAJOR) $(LIB)/libnerkit-train.so \
	    $(LIB)/libnerkit-train.so.$(MAJOR) $(D)/lib
	install -m 644 include/nerkit.h $(D)/include
	$(call pc,nerkit,Named-entity recognition: load models and tag text,-lnerkit,$(LIBS_TAG))
	$(call pc,nerkit-train,Training nerkit models and word representations,-lnerkit-train -lnerkit,$(LIBS_TRAIN))
	$(if $(MAN1),install -m 644 $(MAN1) $(D)/share/man/man1)
	$(if $(MAN3),install -m 644 $(MAN3) $(D)/share/man/man3)
	install -m 644 $(MODELS) $(D)/share/nerkit
	install -d $(DESTDIR)$(PYDIR)/nerkit
	install -m 644 $(PYFILES) $(DESTDIR)$(PYDIR)/nerkit
	printf '# written by make install\nLIBDIR = %s\n' "'$(PREFIX)/lib'" > $(DESTDIR)$(PYDIR)/nerkit/_install.py

uninstall:
	rm -f $(INSTALLED_PROGS:%=$(D)/bin/%) $(D)/include/nerkit.h \
	    $(D)/lib/libnerkit.a $(D)/lib/libnerkit-train.a $(D)/lib/libnerkit.so* \
	    $(D)/lib/libnerkit-train.so* $(D)/lib/pkgconfig/nerkit.pc $(D)/lib/pkgconfig/nerkit-train.pc \
	    $(MAN1:man/%=$(D)/share/man/man1/%) $(MAN3:man/%=$(D)/share/man/man3/%) \
	    $(MODELS:models/%=$(D)/share/nerkit/%)
	rm -f $(PYFILES:python/nerkit/%=$(DESTDIR)$(PYDIR)/nerkit/%) $(DESTDIR)$(PYDIR)/nerkit/_install.py
	rm -rf $(DESTDIR)$(PYDIR)/nerkit/__pycache__
	-rmdir $(DESTDIR)$(PYDIR)/nerkit 2>/dev/null
	-rmdir $(D)/share/nerkit 2>/dev/null

clean:
	rm -rf build build-asan build-fuzz bin lib
