// A fake transmitter for the transmit-safety tests (tests/test_tx_fake_device.c): a
// SoapySDR 0.8 device, driver key "fakelog", built only for the tests into
// ${build}/lib/soapy-test (load it with SOAPY_SDR_PLUGIN_PATH; never installed).
//
// It radiates nothing and renders nothing: it keeps every setting per direction and
// channel, answers reads of them truthfully, returns zeros for RX windows, and appends
// one line per event to the file named by its "log" argument:
//   set DIR CH KEY VALUE            every setGain/setFrequency/setSampleRate/setBandwidth
//   write N CHANS PEAK FLAGS        every writeStream call: samples per channel, channels,
//                                   the largest |x| of the chunk, the SoapySDR flags
// so a test can prove that a burst the limits forbid never reached the device.
//
// Device arguments (all optional):
//   log=PATH        the log file (no logging without it)
//   tx=N, rx=N      channel counts (default 2 and 1)
//   rate=HZ         RX and TX sample rate (default 1e6); tx_rate=HZ a TX rate of its own
//   freq=HZ         RX and TX centre frequency (default 2.45e9); tx_freq=HZ TX only
//   native_fs=X     full scale stated by getNativeStreamFormat (default 32768, CS16);
//                   0 = the device does not know it
//   truth=1         offer an "isactb_truth" setting, as the emulator plug-in does
#include <SoapySDR/Device.hpp>
#include <SoapySDR/Formats.hpp>
#include <SoapySDR/Registry.hpp>
#include <SoapySDR/Time.hpp>

#include <chrono>
#include <cstdarg>
#include <complex>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace
{

double arg_num(const SoapySDR::Kwargs &a, const char *key, double def)
{
    auto it = a.find(key);
    return it == a.end() ? def : std::strtod(it->second.c_str(), nullptr);
}

struct FakeStream {
    int dir;
    std::vector<size_t> chans;
    long long t_ns = 0;
    size_t left = 0, done = 0;
};

class FakeLog : public SoapySDR::Device
{
  public:
    explicit FakeLog(const SoapySDR::Kwargs &a)
    {
        auto it = a.find("log");
        log_ = it == a.end() ? "" : it->second;
        ntx_ = (size_t)arg_num(a, "tx", 2);
        nrx_ = (size_t)arg_num(a, "rx", 1);
        native_fs_ = arg_num(a, "native_fs", 32768);
        truth_ = arg_num(a, "truth", 0) != 0;
        double rate = arg_num(a, "rate", 1e6), freq = arg_num(a, "freq", 2.45e9);
        for (int dir = 0; dir < 2; dir++) {
            bool tx = dir == SOAPY_SDR_TX;
            for (size_t c = 0; c < (tx ? ntx_ : nrx_); c++) {
                val_[key(dir, c, "rate")] = tx ? arg_num(a, "tx_rate", rate) : rate;
                val_[key(dir, c, "freq")] = tx ? arg_num(a, "tx_freq", freq) : freq;
                val_[key(dir, c, "bw")] = 0;
                val_[key(dir, c, "gain")] = 0;
            }
        }
        t0_ = std::chrono::steady_clock::now();
    }

    std::string getDriverKey() const override { return "fakelog"; }
    std::string getHardwareKey() const override { return "fakelog"; }
    SoapySDR::Kwargs getHardwareInfo() const override { return {{"serial", "0001"}}; }
    size_t getNumChannels(const int dir) const override
    {
        return dir == SOAPY_SDR_TX ? ntx_ : nrx_;
    }
    bool getFullDuplex(const int, const size_t) const override { return true; }
    std::vector<std::string> getStreamFormats(const int, const size_t) const override
    {
        return {SOAPY_SDR_CF32};
    }
    std::string getNativeStreamFormat(const int, const size_t, double &fs) const override
    {
        fs = native_fs_;
        return SOAPY_SDR_CS16;
    }

    // ---- settings: kept per direction and channel, every write logged ----
    void setGain(const int dir, const size_t ch, const double v) override
    {
        set(dir, ch, "gain", v);
    }
    double getGain(const int dir, const size_t ch) const override { return get(dir, ch, "gain"); }
    SoapySDR::Range getGainRange(const int, const size_t) const override { return {-100, 200}; }
    void setFrequency(const int dir, const size_t ch, const double f,
                      const SoapySDR::Kwargs &) override
    {
        set(dir, ch, "freq", f);
    }
    double getFrequency(const int dir, const size_t ch) const override
    {
        return get(dir, ch, "freq");
    }
    SoapySDR::RangeList getFrequencyRange(const int, const size_t) const override
    {
        return {SoapySDR::Range(1e6, 7e9)};
    }
    void setSampleRate(const int dir, const size_t ch, const double r) override
    {
        set(dir, ch, "rate", r);
    }
    double getSampleRate(const int dir, const size_t ch) const override
    {
        return get(dir, ch, "rate");
    }
    void setBandwidth(const int dir, const size_t ch, const double b) override
    {
        set(dir, ch, "bw", b);
    }
    double getBandwidth(const int dir, const size_t ch) const override
    {
        return get(dir, ch, "bw");
    }

    SoapySDR::ArgInfoList getSettingInfo() const override
    {
        SoapySDR::ArgInfoList l;
        if (truth_) {
            SoapySDR::ArgInfo i;
            i.key = "isactb_truth";
            l.push_back(i);
        }
        return l;
    }
    std::string readSetting(const std::string &k) const override
    {
        return truth_ && k == "isactb_truth" ? "{}" : "";
    }

    // ---- time: a free-running clock in ns ----
    bool hasHardwareTime(const std::string &) const override { return true; }
    long long getHardwareTime(const std::string &) const override
    {
        auto d = std::chrono::steady_clock::now() - t0_;
        return offset_ + std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
    }
    void setHardwareTime(const long long t, const std::string &what) override
    {
        if (what.empty())
            offset_ = t - getHardwareTime("") + offset_;
    }

    // ---- streams ----
    SoapySDR::Stream *setupStream(const int dir, const std::string &, const std::vector<size_t> &ch,
                                  const SoapySDR::Kwargs &) override
    {
        auto *s = new FakeStream;
        s->dir = dir;
        s->chans = ch.empty() ? std::vector<size_t>{0} : ch;
        return reinterpret_cast<SoapySDR::Stream *>(s);
    }
    void closeStream(SoapySDR::Stream *s) override { delete reinterpret_cast<FakeStream *>(s); }
    size_t getStreamMTU(SoapySDR::Stream *) const override { return 4096; }
    int activateStream(SoapySDR::Stream *h, const int, const long long t, const size_t n) override
    {
        auto *s = reinterpret_cast<FakeStream *>(h);
        s->t_ns = t;
        s->left = n;
        s->done = 0;
        return 0;
    }
    int deactivateStream(SoapySDR::Stream *, const int, const long long) override { return 0; }
    int readStream(SoapySDR::Stream *h, void *const *buffs, const size_t n, int &flags,
                   long long &timeNs, const long) override
    {
        auto *s = reinterpret_cast<FakeStream *>(h);
        size_t k = n < s->left ? n : s->left;
        for (size_t c = 0; c < s->chans.size(); c++)
            for (size_t i = 0; i < k; i++)
                static_cast<std::complex<float> *>(buffs[c])[i] = 0;
        double fs = get(SOAPY_SDR_RX, s->chans[0], "rate");
        timeNs =
            SoapySDR::ticksToTimeNs(SoapySDR::timeNsToTicks(s->t_ns, fs) + (long long)s->done, fs);
        s->done += k;
        s->left -= k;
        flags = SOAPY_SDR_HAS_TIME | (s->left == 0 ? SOAPY_SDR_END_BURST : 0);
        return (int)k;
    }
    int writeStream(SoapySDR::Stream *h, const void *const *buffs, const size_t n, int &flags,
                    const long long, const long) override
    {
        auto *s = reinterpret_cast<FakeStream *>(h);
        double peak = 0;
        for (size_t c = 0; c < s->chans.size(); c++)
            for (size_t i = 0; i < n; i++) {
                double a = std::abs(static_cast<const std::complex<float> *>(buffs[c])[i]);
                peak = a > peak ? a : peak;
            }
        logf("write %zu %zu %.6g %d", n, s->chans.size(), peak, flags);
        return (int)n;
    }
    int readStreamStatus(SoapySDR::Stream *, size_t &, int &, long long &, const long) override
    {
        return SOAPY_SDR_TIMEOUT;
    }

  private:
    static std::string key(int dir, size_t ch, const char *k)
    {
        return std::to_string(dir) + "/" + std::to_string(ch) + "/" + k;
    }
    void set(int dir, size_t ch, const char *k, double v)
    {
        std::lock_guard<std::mutex> g(mu_);
        val_[key(dir, ch, k)] = v;
        logf("set %s %zu %s %.9g", dir == SOAPY_SDR_TX ? "TX" : "RX", ch, k, v);
    }
    double get(int dir, size_t ch, const char *k) const
    {
        std::lock_guard<std::mutex> g(mu_);
        auto it = val_.find(key(dir, ch, k));
        return it == val_.end() ? 0.0 : it->second;
    }
    void logf(const char *fmt, ...) const __attribute__((format(printf, 2, 3)))
    {
        if (log_.empty())
            return;
        FILE *f = std::fopen(log_.c_str(), "a");
        if (!f)
            return;
        va_list ap;
        va_start(ap, fmt);
        std::vfprintf(f, fmt, ap);
        va_end(ap);
        std::fputc('\n', f);
        std::fclose(f);
    }

    std::string log_;
    size_t ntx_, nrx_;
    double native_fs_;
    bool truth_;
    long long offset_ = 0;
    std::chrono::steady_clock::time_point t0_;
    mutable std::mutex mu_;
    std::map<std::string, double> val_;
};

SoapySDR::KwargsList find_fake(const SoapySDR::Kwargs &args)
{
    auto it = args.find("driver");
    if (it == args.end() || it->second != "fakelog")
        return {};
    SoapySDR::Kwargs k = args;
    k["label"] = "isactb fake transmitter (tests)";
    return {k};
}

SoapySDR::Device *make_fake(const SoapySDR::Kwargs &args)
{
    return new FakeLog(args);
}

SoapySDR::Registry reg_fake("fakelog", &find_fake, &make_fake, SOAPY_SDR_ABI_VERSION);

} // namespace
