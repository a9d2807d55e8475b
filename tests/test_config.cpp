// Study files: every validation error names its key; overrides; the resolved config.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "descent/core/error.hpp"
#include "descent/core/hash.hpp"
#include "descent/study/config.hpp"
#include "descent/study/overrides.hpp"
#include "helpers.hpp"

namespace descent::study {
namespace {

using testing::TempDir;
using testing::write_file;

const std::string kValid = R"toml(
[study]
name = "t"
seeds = [0, 1]

[data]
dataset = "gaussian-mixture"
classes = 3

[model]
kind = "mlp"
hidden = [8]

[train]
epochs = 2
batch_size = 16

[[optimizers]]
name = "sgd"
lr = 0.1
momentum = 0.9

[[optimizers]]
name = "adam"

[schedule]
kind = "cosine"
warmup_steps = 5
)toml";

// Replaces the first occurrence of `from` in the valid config.
std::string with(const std::string& from, const std::string& to) {
  std::string text = kValid;
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

std::string error_of(const std::string& text, std::vector<std::string> overrides = {}) {
  try {
    parse_study_config(text, "study.toml", overrides);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "no error";
}

TEST(Config, ValidFileResolvesDefaults) {
  const StudyConfig config = parse_study_config(kValid, "study.toml");
  EXPECT_EQ(config.name, "t");
  EXPECT_EQ(config.seeds, (std::vector<std::uint64_t>{0, 1}));
  EXPECT_EQ(config.data.classes, 3);
  ASSERT_EQ(config.optimizers.size(), 2u);
  EXPECT_DOUBLE_EQ(config.optimizers[0].hyper.at("momentum"), 0.9);
  EXPECT_DOUBLE_EQ(config.optimizers[0].hyper.at("dampening"), 0.0);
  EXPECT_DOUBLE_EQ(config.optimizers[1].hyper.at("lr"), 1e-3);
  EXPECT_DOUBLE_EQ(config.optimizers[1].hyper.at("beta2"), 0.999);
  EXPECT_EQ(config.schedule.kind, "cosine");
  EXPECT_DOUBLE_EQ(config.schedule.params.at("warmup_steps"), 5);
  EXPECT_DOUBLE_EQ(config.schedule.params.at("final"), 0.0);
}

struct BadCase {
  std::string from, to, expected;
};

TEST(Config, EveryErrorNamesItsKey) {
  const std::vector<BadCase> cases = {
      {"epochs = 2", "epoch = 2", "unknown key 'train.epoch' (did you mean 'train.epochs'?)"},
      {"epochs = 2", "epochs = \"two\"", "key 'train.epochs': expected an integer, got a string"},
      {"epochs = 2", "epochs = 0", "key 'train.epochs': 0 is out of range"},
      {"batch_size = 16", "batch_size = -3", "key 'train.batch_size': -3 is out of range"},
      {"lr = 0.1", "lr = -0.1", "key 'optimizers[0].lr': -0.1 is out of range: must be (0, 1000000000000]"},
      {"lr = 0.1", "lr = \"fast\"", "key 'optimizers[0].lr': expected a number, got a string"},
      {"momentum = 0.9", "momentum = 1.5", "key 'optimizers[0].momentum': 1.5 is out of range: must be [0, 1]"},
      {"momentum = 0.9", "momentun = 0.9", "unknown key 'optimizers[0].momentun' for optimizer 'sgd' (did you mean 'optimizers[0].momentum'?)"},
      {"name = \"adam\"", "name = \"adma\"", "key 'optimizers[1].name': 'adma' is not one of"},
      {"name = \"adam\"", "name = \"adam\"\nbeta1 = true", "key 'optimizers[1].beta1': expected a number, got a boolean"},
      {"kind = \"mlp\"", "kind = \"resnet\"", "key 'model.kind': 'resnet' is not one of mlp, cnn, linear"},
      {"kind = \"mlp\"", "kind = \"cnn\"", "key 'model.kind': the cnn needs image data"},
      {"hidden = [8]", "hidden = [8, 0]", "key 'model.hidden': entry 1 is 0; must be >= 1"},
      {"hidden = [8]", "hidden = 8", "key 'model.hidden': expected a list of integers, got an integer"},
      {"classes = 3", "classes = 1", "key 'data.classes': 1 is out of range"},
      {"classes = 3", "dir = \"/x\"", "unknown key 'data.dir' for dataset 'gaussian-mixture'"},
      {"dataset = \"gaussian-mixture\"", "dataset = \"mnist\"", "key 'data.dataset': 'mnist' is not one of"},
      {"seeds = [0, 1]", "seeds = [0, 0]", "key 'study.seeds': seeds repeat"},
      {"seeds = [0, 1]", "seeds = [-1]", "key 'study.seeds': entry 0 is -1"},
      {"name = \"t\"", "name = \"\"", "key 'study.name': missing or empty"},
      {"kind = \"cosine\"", "kind = \"cosin\"", "key 'schedule.kind': 'cosin' is not one of constant, step, multistep, exponential, linear, cosine, polynomial, wsd, refined, join (did you mean 'cosine'?)"},
      {"warmup_steps = 5", "warmup_steps = 2.5", "key 'schedule.warmup_steps': expected an integer, got a number"},
      {"warmup_steps = 5", "gamma = 0.5", "unknown key 'schedule.gamma' for schedule kind 'cosine'"},
      {"[train]", "[trian]", "unknown key 'trian' (did you mean 'train'?)"},
      {"epochs = 2", "epochs = 2\nadversarial = { attack = \"cw\" }", "key 'train.adversarial.attack': 'cw' is not one of fgsm, bim, pgd, mim"},
      {"epochs = 2", "epochs = 2\nadversarial = { eps = -1.0 }", "key 'train.adversarial.eps': -1 is out of range"},
      {"epochs = 2", "epochs = 2\nadversarial = { attack = \"pgd\", norm = \"l3\" }", "key 'train.adversarial.norm'"},
      {"epochs = 2", "epochs = 2\nadversarial = { attack = \"pgd\", stepz = 3 }", "unknown key 'train.adversarial.stepz'"},
      {"epochs = 2", "epochs = 2\nadversarial = \"pgd\"", "key 'train.adversarial': expected a table"},
      {"name = \"sgd\"", "name = \"sgd\"\nnesterov = true\ndampening = 0.5", "key 'optimizers[0].nesterov': Nesterov momentum needs"},
  };
  for (const auto& c : cases) {
    const std::string message = error_of(with(c.from, c.to));
    EXPECT_NE(message.find(c.expected), std::string::npos) << "case " << c.to << "\n got: " << message;
    EXPECT_EQ(message.rfind("study.toml", 0), 0u) << "message must start with the file: " << message;
  }
}

// A study name becomes a folder of the report directory: names that cannot be one are refused
// before any run trains, and the message does not repeat a name of any length.
TEST(Config, StudyNamesMustBeFolderNames) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"study.name=\"" + std::string(201, 'a') + "\"", "key 'study.name': 201 characters; at most 200"},
      {"study.name=\"..\"", "key 'study.name': '..' is not a folder name"},
      {"study.name=\".\"", "key 'study.name': '.' is not a folder name"},
      {"study.name=\"a/b\"", "key 'study.name': must not contain '/'"},
      {"study.name=\"a\\tb\"", "key 'study.name': must not contain control characters"},
  };
  for (const auto& [override_text, expected] : cases) {
    const std::string message = error_of(kValid, {override_text});
    EXPECT_NE(message.find(expected), std::string::npos) << override_text.substr(0, 40) << "\n got: " << message.substr(0, 300);
    EXPECT_LT(message.size(), 400u) << "the message repeats the name";
  }
  const std::vector<std::string> longest = {"study.name=\"" + std::string(200, 'a') + "\""};
  EXPECT_NO_THROW(parse_study_config(kValid, "study.toml", longest));
}

TEST(Config, MissingSectionsAndSyntaxErrors) {
  EXPECT_NE(error_of("[train]\nepochs = 1\n").find("key 'study': missing"), std::string::npos);
  EXPECT_NE(error_of("[study]\nname = \"x\"\n").find("key 'optimizers': missing"), std::string::npos);
  EXPECT_NE(error_of("[study]\nname = \"x\"\noptimizers = []\n").find("unknown key 'study.optimizers'"), std::string::npos);
  EXPECT_NE(error_of("[study\nname=1").find("study.toml:1:"), std::string::npos);
  EXPECT_NE(error_of("[study]\nname = \"x\"\n[[optimizers]]\nlr = 0.1\n").find("key 'optimizers[0].name': missing"),
            std::string::npos);
}

TEST(Config, DuplicateOptimizersGetDistinctLabels) {
  const std::string text = with("name = \"adam\"", "name = \"sgd\"");
  const StudyConfig config = parse_study_config(text, "study.toml");
  EXPECT_EQ(config.optimizers[0].label, "sgd");
  EXPECT_EQ(config.optimizers[1].label, "sgd#1");
  EXPECT_NE(error_of(with("name = \"adam\"", "name = \"adam\"\nlabel = \"sgd\"")).find("'sgd' is used by an earlier entry"),
            std::string::npos);
}

TEST(Overrides, ParseAndApply) {
  const Override parsed = parse_override("optimizers[1].lr=0.5");
  EXPECT_EQ(parsed.path, (std::vector<std::string>{"optimizers", "1", "lr"}));
  EXPECT_EQ(parsed.raw_value, "0.5");

  const StudyConfig config = parse_study_config(
      kValid, "study.toml",
      std::vector<std::string>{"train.epochs=5", "optimizers.0.lr=0.25", "optimizers[1].beta1=0.8", "study.name=renamed",
                               "study.seeds=[3, 4, 5]", "model.hidden=[4, 4]", "data.separation=1", "train.max_steps=7"});
  EXPECT_EQ(config.train.epochs, 5);
  EXPECT_DOUBLE_EQ(config.optimizers[0].hyper.at("lr"), 0.25);
  EXPECT_DOUBLE_EQ(config.optimizers[1].hyper.at("beta1"), 0.8);
  EXPECT_EQ(config.name, "renamed");
  EXPECT_EQ(config.seeds, (std::vector<std::uint64_t>{3, 4, 5}));
  EXPECT_EQ(config.model.hidden, (std::vector<std::int64_t>{4, 4}));
  EXPECT_DOUBLE_EQ(config.data.separation, 1.0);
  EXPECT_EQ(config.train.max_steps, 7);
}

TEST(Overrides, BadOverridesNameTheArgumentOrKey) {
  EXPECT_NE(error_of(kValid, {"train.epochs"}).find("override 'train.epochs': expected key.path=value"), std::string::npos);
  EXPECT_NE(error_of(kValid, {"=3"}).find("expected key.path=value"), std::string::npos);
  EXPECT_NE(error_of(kValid, {"optimizers[5].lr=1"}).find("index 5 is out of range (the list has 2 entries)"), std::string::npos);
  // An index no integer type holds is out of range too (it was "stoul" and exit 1).
  EXPECT_NE(error_of(kValid, {"optimizers[99999999999999999999].lr=1"})
                .find("index 99999999999999999999 is out of range (the list has 2 entries)"),
            std::string::npos)
      << error_of(kValid, {"optimizers[99999999999999999999].lr=1"});
  EXPECT_NE(error_of(kValid, {"train.epochs.x=1"}).find("override key 'train.epochs.x': 'train.epochs' is a value, not a table"), std::string::npos);
  EXPECT_NE(error_of(kValid, {"train.epoch=3"}).find("unknown key 'train.epoch' (did you mean 'train.epochs'?)"), std::string::npos);
  EXPECT_NE(error_of(kValid, {"train.epochs=three"}).find("key 'train.epochs': expected an integer, got a string"), std::string::npos);
}

TEST(Config, CommSectionNamesItsKeys) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"compressor = \"topk5\"", "key 'comm.compressor': 'topk5' is not one of none, topk, randk, sign, natural, qsgd (did you mean 'topk'?)"},
      {"feedback = \"ef12\"", "key 'comm.feedback': 'ef12' is not one of"},
      {"compressor = \"topk\"\nlevels = 4", "unknown key 'comm.levels' for compressor 'topk' and feedback 'none'"},
      {"compressor = \"topk\"\nratio = 0.0", "key 'comm.ratio': 0 is out of range"},
      {"workers = 2\nfeedback = \"ef21-w\"\nsmoothness = [1.0, 2.0, 3.0]", "key 'comm.smoothness': 3 values for 2 workers"},
      {"workers = 2\nfeedback = \"ef21-w\"\nsmoothness = [1.0, -2.0]", "key 'comm.smoothness': entry 1 is -2; must be positive"},
      {"workers = -1", "key 'comm.workers': -1 is out of range"},
      {"workers = 2\nfeedback = \"ef21-sgdm\"\nmomentum = 0.0", "key 'comm.momentum': 0 is out of range"},
      {"workers = 2\nfeedback = \"ef21\"\nmomentum = 0.1", "unknown key 'comm.momentum'"},
  };
  const auto with_comm = [](const std::string& comm) { return std::string(kValid) + "\n[comm]\n" + comm + "\n"; };
  for (const auto& [comm, expected] : cases) {
    const std::string message = error_of(with_comm(comm));
    EXPECT_NE(message.find(expected), std::string::npos) << "case " << comm << "\n got: " << message;
  }
  // Single-worker studies keep the run keys they had before [comm] existed.
  const StudyConfig plain = parse_study_config(kValid, "study.toml");
  EXPECT_FALSE(run_config_json(plain, 0, 0).contains("comm"));
  const StudyConfig parallel = parse_study_config(with_comm("workers = 2\ncompressor = \"qsgd\""), "study.toml");
  EXPECT_EQ(run_config_json(parallel, 0, 0).at("comm").at("levels"), 4);
  EXPECT_NE(run_key(run_config_json(parallel, 0, 0)), run_key(run_config_json(plain, 0, 0)));
  // EF21-SGDM's momentum enters the run key only under that mechanism.
  EXPECT_FALSE(run_config_json(parallel, 0, 0).at("comm").contains("momentum"));
  const StudyConfig sgdm = parse_study_config(with_comm("workers = 2\nfeedback = \"ef21-sgdm\"\nmomentum = 0.05"), "study.toml");
  EXPECT_EQ(run_config_json(sgdm, 0, 0).at("comm").at("momentum"), 0.05);
}

TEST(Config, TransformerAndTextGoTogether) {
  const std::string text_study = "[study]\nname = \"t\"\n[data]\ndataset = \"text\"\n[model]\nkind = \"transformer\"\nwidth = 64\n";
  const std::string optimizer = "[[optimizers]]\nname = \"adam\"\n";
  EXPECT_EQ(parse_study_config(text_study + "heads = 4\n" + optimizer, "t.toml").model.heads, 4);
  EXPECT_NE(error_of(text_study + "heads = 5\n" + optimizer).find("key 'model.heads': 5 heads do not divide the width 64"),
            std::string::npos);
  EXPECT_NE(error_of("[study]\nname = \"t\"\n[data]\ndataset = \"text\"\n" + optimizer)
                .find("text data (token sequences) needs model.kind = \"transformer\""),
            std::string::npos);
  EXPECT_NE(error_of(with("kind = \"mlp\"", "kind = \"transformer\"")).find("the transformer needs text data"), std::string::npos);
}

// A stored run's config reads back into the same data, model, training budget and optimizer.
// A stored run config reads back into the same config: every section goes through its options'
// one field description both ways (the legacy store's studies touch every section).
TEST(Config, RunConfigReadsBack) {
  std::vector<StudyConfig> configs = {parse_study_config(kValid, "study.toml")};
  for (const char* study : {"features", "batches", "parallel", "text"}) {
    configs.push_back(load_study_config(std::string(DESCENT_GOLDEN_DIR) + "/../data/legacy_store/" + study + ".toml"));
  }
  for (const auto& config : configs) {
    for (std::size_t i = 0; i < config.optimizers.size(); ++i) {
      const nlohmann::json run = run_config_json(config, i, 3);
      const StudyConfig back = study_config_of_run(run, "run");
      EXPECT_EQ(run_config_json(back, 0, 3), run) << config.name << " entry " << i;
    }
  }
  const StudyConfig flags = parse_study_config(with("name = \"sgd\"", "name = \"sgd\"\nnesterov = true"), "study.toml");
  EXPECT_EQ(study_config_of_run(run_config_json(flags, 0, 0), "run").optimizers[0].hyper.at("nesterov"), 1.0);
}

TEST(Config, RunConfigAndKey) {
  const StudyConfig config = parse_study_config(kValid, "study.toml");
  const nlohmann::json run = run_config_json(config, 1, 7);
  EXPECT_EQ(run.at("optimizer").at("name"), "adam");
  EXPECT_EQ(run.at("seed"), 7);
  EXPECT_FALSE(run.contains("optimizers"));
  nlohmann::json more_threads = run;
  more_threads["train"]["threads"] = 2;
  EXPECT_EQ(run_key(run), run_key(more_threads));  // threads change speed, not the run
  nlohmann::json other_seed = run;
  other_seed["seed"] = 8;
  EXPECT_NE(run_key(run), run_key(other_seed));
  EXPECT_EQ(run_key(run).size(), 16u);
}

// A study's own files (CSV or .npz data, a TorchScript module) enter the run key by their contents:
// a file edited in place under the same name makes new runs, not a silent reuse of the old ones.
TEST(Config, OwnFilesKeyRunsByTheirContents) {
  const TempDir dir;
  write_file(dir / "train.csv", "x,y\n1,0\n2,1\n");
  write_file(dir / "test.csv", "x,y\n3,1\n");
  const std::string study = fmt::format(
      "[study]\nname = \"own\"\n[data]\ndataset = \"csv\"\ntrain = \"{0}/train.csv\"\ntest = \"{0}/test.csv\"\n"
      "target = \"y\"\n[[optimizers]]\nname = \"sgd\"\n",
      dir.path().string());
  const auto key = [&] { return run_key(run_config_json(parse_study_config(study, "study.toml"), 0, 0)); };
  const std::string before = key();
  const nlohmann::json stored = run_config_json(parse_study_config(study, "study.toml"), 0, 0);
  EXPECT_EQ(stored.at("data").at("train_hash"), file_fnv1a(dir / "train.csv"));
  EXPECT_EQ(before, key());  // the same bytes: the same runs

  write_file(dir / "train.csv", "x,y\n1,0\n2,0\n");
  const std::string edited = key();
  EXPECT_NE(before, edited);

  // A stored run reads back without the files: its config carries their hashes.
  std::filesystem::remove(dir / "train.csv");
  EXPECT_EQ(run_key(run_config_json(study_config_of_run(stored, "run"), 0, 0)), before);
  EXPECT_NE(error_of(study).find("study.toml: key 'data.train': " + (dir / "train.csv").string() + ": cannot read"), std::string::npos)
      << error_of(study);
  // The hashes are the files', never the user's.
  write_file(dir / "train.csv", "x,y\n1,0\n");
  std::string forged = study;
  forged.insert(forged.find("target ="), "train_hash = \"0\"\n");
  EXPECT_NE(error_of(forged).find("data.train_hash"), std::string::npos) << error_of(forged);
}

TEST(Hash, Fnv1aMatchesItsPublishedTestVectors) {
  // From the FNV reference (Noll's test suite): FNV-1a 64 of "" and of "a".
  Fnv1a empty;
  EXPECT_EQ(empty.hex(), "cbf29ce484222325");
  Fnv1a a;
  a.add("a");
  EXPECT_EQ(a.value(), 0xaf63dc4c8601ec8cULL);
  const TempDir dir;
  write_file(dir / "f", "foobar");
  EXPECT_EQ(file_fnv1a(dir / "f"), "85944171f73967e8");
}

}  // namespace
}  // namespace descent::study
