/*
 * Scoring tags against gold labels (conlleval's rules) and the
 * calibration of entity probabilities on a labelled corpus.
 *
 * May use: text/ (corpora) and everything below.
 */
#ifndef NERKIT_EVAL_H
#define NERKIT_EVAL_H

#include "../text/text.h"

#endif
