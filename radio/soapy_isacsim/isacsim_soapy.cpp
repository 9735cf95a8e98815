// The isactb channel emulator as a SoapySDR 0.8 device (driver key "isacsim").
//
// A thin C++17 shim: every call goes to the C emulator through isacsim_c.h (the `sim`
// radio). Device arguments other than driver/label/serial are the `sim` back end's
// scenario keys (seed, targets, impairments, ... docs/emulator.md), passed through.
//
// Time: the device clock is the emulator's sample counter. Hardware time in ns is
// ticksToTimeNs(tick, fs) + offset, where setHardwareTime() only moves the offset (the
// emulator's clock never jumps). Nothing happens in wall time: a TX burst is applied
// when its END_BURST arrives, an RX window is rendered on the first readStream after
// its activation. Streams:
//   RX: only the stream's channels are rendered (cost grows with the channels a client
//       activates, not with the 4 M the emulator has); activateStream(HAS_TIME
//       [| END_BURST], t, numElems) starts at tick(t) (or the current tick without HAS_TIME); numElems > 0 is one finite window rendered in a
//       single emulator call, 0 streams continuously in MTU-sized windows. readStream
//       always sets HAS_TIME; a gap the emulator injected is reported as the standard
//       SoapySDR sequence: samples up to the gap, SOAPY_SDR_OVERFLOW (overflows only),
//       then samples with the post-gap timestamp.
//   TX: writeStream with HAS_TIME opens a burst at tick(t); chunks accumulate until
//       END_BURST, then the burst goes to the emulator. A late burst is reported by
//       readStreamStatus (SOAPY_SDR_TIME_ERROR), an overlapping one by STREAM_ERROR.
// Settings (isactb's own protocol, radio_soapy.c): isactb_layout (array layout JSON,
// read-only), isactb_truth (ground truth JSON, read-only), isactb_episode (write N:
// new episode N).
#include <SoapySDR/Device.hpp>
#include <SoapySDR/Formats.hpp>
#include <SoapySDR/Registry.hpp>
#include <SoapySDR/Time.hpp>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/err.h"
#include "isacsim_c.h"

namespace
{

constexpr size_t kMtu = 4096;
constexpr size_t kMaxBurst = size_t(1) << 24;
const char *const kDriver = "isacsim";

// Keys of SoapySDR's own (enumeration) that are not emulator arguments.
bool soapy_key(const std::string &k)
{
    return k == "driver" || k == "label" || k == "serial";
}

std::string sim_args_of(const SoapySDR::Kwargs &args)
{
    std::string s;
    for (const auto &kv : args) {
        if (soapy_key(kv.first))
            continue;
        s += (s.empty() ? "" : ",") + kv.first + "=" + kv.second;
    }
    return s;
}

struct Status {
    int code;
    long long time_ns;
};

struct Stream {
    int dir;
    std::vector<size_t> chans;
    bool active = false;
    // RX
    bool finite = false;
    long long next_tick = 0;  // first tick of the next window (continuous mode)
    bool have_window = false; // window rendered
    bool window_late = false;
    long long win_t0 = 0;
    size_t win_len = 0, pos = 0;
    size_t gap_start = 0, gap_len = 0;
    bool gap_overflow = false, overflow_reported = false;
    std::vector<std::vector<std::complex<float>>> win; // by emulator RX channel; only the
                                                       // stream's channels are filled
    // TX
    bool in_burst = false;
    long long burst_t0 = 0;
    std::vector<std::vector<std::complex<float>>> burst; // all emulator TX channels
    std::deque<Status> status;
};

class IsacsimDevice : public SoapySDR::Device
{
  public:
    explicit IsacsimDevice(const SoapySDR::Kwargs &args)
    {
        char err[512] = "";
        std::string sa = sim_args_of(args);
        if (isacsim_open(sa.c_str(), &sim_, err, sizeof err) != ISAC_OK)
            throw std::runtime_error(std::string("isacsim: ") + err);
        isacsim_describe(sim_, &desc_);
    }
    ~IsacsimDevice() override { isacsim_close(sim_); }

    // ---- identification ----
    std::string getDriverKey() const override { return kDriver; }
    std::string getHardwareKey() const override { return kDriver; }
    SoapySDR::Kwargs getHardwareInfo() const override
    {
        return {{"serial", desc_.serial}, {"origin", "isactb sim channel emulator"}};
    }

    // ---- channels and streams ----
    size_t getNumChannels(const int dir) const override
    {
        return dir == SOAPY_SDR_RX ? desc_.num_rx : desc_.num_tx;
    }
    bool getFullDuplex(const int, const size_t) const override { return true; }
    std::vector<std::string> getStreamFormats(const int, const size_t) const override
    {
        return {SOAPY_SDR_CF32};
    }
    std::string getNativeStreamFormat(const int, const size_t, double &fullScale) const override
    {
        fullScale = 1.0;
        return SOAPY_SDR_CF32;
    }

    SoapySDR::Stream *setupStream(const int dir, const std::string &format,
                                  const std::vector<size_t> &channels,
                                  const SoapySDR::Kwargs &) override
    {
        if (format != SOAPY_SDR_CF32)
            throw std::runtime_error("isacsim: only the CF32 stream format is supported");
        auto *st = new Stream;
        st->dir = dir;
        st->chans = channels.empty() ? std::vector<size_t>{0} : channels;
        for (size_t c : st->chans)
            if (c >= getNumChannels(dir)) {
                delete st;
                throw std::runtime_error("isacsim: channel " + std::to_string(c) +
                                         " does not exist");
            }
        return reinterpret_cast<SoapySDR::Stream *>(st);
    }
    void closeStream(SoapySDR::Stream *s) override { delete reinterpret_cast<Stream *>(s); }
    size_t getStreamMTU(SoapySDR::Stream *) const override { return kMtu; }

    int activateStream(SoapySDR::Stream *handle, const int flags, const long long timeNs,
                       const size_t numElems) override
    {
        std::lock_guard<std::mutex> lk(mu_);
        Stream *st = reinterpret_cast<Stream *>(handle);
        if (st->dir == SOAPY_SDR_TX) {
            st->active = true;
            return 0;
        }
        st->active = true;
        st->finite = numElems > 0;
        st->next_tick = (flags & SOAPY_SDR_HAS_TIME) ? to_ticks(timeNs) : isacsim_now(sim_);
        st->have_window = false;
        st->win_len = numElems;
        return 0;
    }
    int deactivateStream(SoapySDR::Stream *handle, const int, const long long) override
    {
        std::lock_guard<std::mutex> lk(mu_);
        Stream *st = reinterpret_cast<Stream *>(handle);
        st->active = false;
        st->have_window = false;
        return 0;
    }

    int readStream(SoapySDR::Stream *handle, void *const *buffs, const size_t numElems, int &flags,
                   long long &timeNs, const long) override
    {
        std::lock_guard<std::mutex> lk(mu_);
        Stream *st = reinterpret_cast<Stream *>(handle);
        flags = 0;
        if (st->dir != SOAPY_SDR_RX || !st->active)
            return SOAPY_SDR_STREAM_ERROR;
        if (!st->have_window) {
            int rc =
                render(st, st->finite ? st->win_len : std::min(numElems ? numElems : kMtu, kMtu));
            if (rc)
                return rc;
        }
        if (st->gap_len && st->pos == st->gap_start) {
            if (st->gap_overflow && !st->overflow_reported) {
                st->overflow_reported = true;
                return SOAPY_SDR_OVERFLOW;
            }
            st->pos += st->gap_len;
        }
        size_t end = st->gap_len && st->pos < st->gap_start ? st->gap_start : st->win_len;
        size_t n = std::min(numElems, end - st->pos);
        for (size_t i = 0; i < st->chans.size(); i++)
            std::memcpy(buffs[i], st->win[st->chans[i]].data() + st->pos,
                        n * sizeof(std::complex<float>));
        flags = SOAPY_SDR_HAS_TIME;
        timeNs = to_ns(st->win_t0 + (long long)st->pos);
        st->pos += n;
        if (st->pos == st->win_len) {
            st->have_window = false;
            if (st->finite) {
                flags |= SOAPY_SDR_END_BURST;
                st->active = false;
            }
        }
        return (int)n;
    }

    int writeStream(SoapySDR::Stream *handle, const void *const *buffs, const size_t numElems,
                    int &flags, const long long timeNs, const long) override
    {
        std::lock_guard<std::mutex> lk(mu_);
        Stream *st = reinterpret_cast<Stream *>(handle);
        if (st->dir != SOAPY_SDR_TX)
            return SOAPY_SDR_STREAM_ERROR;
        if ((flags & SOAPY_SDR_HAS_TIME) || !st->in_burst) {
            st->burst_t0 = (flags & SOAPY_SDR_HAS_TIME) ? to_ticks(timeNs) : isacsim_now(sim_);
            st->burst.assign(desc_.num_tx, {});
            st->in_burst = true;
        }
        if (st->burst[0].size() + numElems > kMaxBurst)
            return SOAPY_SDR_STREAM_ERROR;
        for (unsigned ch = 0; ch < desc_.num_tx; ch++)
            st->burst[ch].resize(st->burst[ch].size() + numElems);
        for (size_t i = 0; i < st->chans.size(); i++) {
            auto &b = st->burst[st->chans[i]];
            std::memcpy(b.data() + b.size() - numElems, buffs[i],
                        numElems * sizeof(std::complex<float>));
        }
        if (flags & SOAPY_SDR_END_BURST) {
            st->in_burst = false;
            std::vector<const float *> x(desc_.num_tx);
            for (unsigned ch = 0; ch < desc_.num_tx; ch++)
                x[ch] = reinterpret_cast<const float *>(st->burst[ch].data());
            int rc = isacsim_tx(sim_, st->burst_t0, x.data(), st->burst[0].size());
            if (rc == ISAC_ERADIO)
                st->status.push_back({SOAPY_SDR_TIME_ERROR, to_ns(st->burst_t0)});
            else if (rc != ISAC_OK)
                return SOAPY_SDR_STREAM_ERROR;
            else
                st->status.push_back({0, to_ns(st->burst_t0)});
        }
        flags = 0;
        return (int)numElems;
    }

    int readStreamStatus(SoapySDR::Stream *handle, size_t &chanMask, int &flags, long long &timeNs,
                         const long) override
    {
        std::lock_guard<std::mutex> lk(mu_);
        Stream *st = reinterpret_cast<Stream *>(handle);
        if (st->dir != SOAPY_SDR_TX)
            return SOAPY_SDR_NOT_SUPPORTED;
        if (st->status.empty())
            return SOAPY_SDR_TIMEOUT;
        Status s = st->status.front();
        st->status.pop_front();
        chanMask = 0;
        for (size_t i = 0; i < st->chans.size() && i < 8 * sizeof chanMask; i++)
            chanMask |= size_t(1) << i;
        flags = SOAPY_SDR_HAS_TIME | (s.code == 0 ? SOAPY_SDR_END_BURST : 0);
        timeNs = s.time_ns;
        return s.code;
    }

    // ---- RF settings: one IF carrier for every channel; fixed rate and gains ----
    std::vector<std::string> listAntennas(const int, const size_t) const override
    {
        return {"SIM"};
    }
    void setAntenna(const int, const size_t, const std::string &name) override
    {
        if (name != "SIM")
            throw std::runtime_error("isacsim: the only antenna is SIM");
    }
    std::string getAntenna(const int, const size_t) const override { return "SIM"; }

    std::vector<std::string> listGains(const int, const size_t) const override { return {"SIM"}; }
    void setGain(const int, const size_t, const double value) override
    {
        if (value != 0.0)
            throw std::runtime_error("isacsim: gains are fixed at 0 dB (samples are in units of "
                                     "the reference noise)");
    }
    void setGain(const int dir, const size_t ch, const std::string &, const double value) override
    {
        setGain(dir, ch, value);
    }
    double getGain(const int, const size_t) const override { return 0.0; }
    double getGain(const int, const size_t, const std::string &) const override { return 0.0; }
    SoapySDR::Range getGainRange(const int, const size_t) const override { return {0.0, 0.0}; }
    SoapySDR::Range getGainRange(const int, const size_t, const std::string &) const override
    {
        return {0.0, 0.0};
    }

    void setFrequency(const int, const size_t, const double freq, const SoapySDR::Kwargs &) override
    {
        std::lock_guard<std::mutex> lk(mu_);
        // One LO setting for the whole emulator: a repeated value is not a retune
        // (a retune re-draws the LO phases unless lo_shared=1).
        if (freq == desc_.center_freq)
            return;
        if (isacsim_retune(sim_, freq) != ISAC_OK)
            throw std::runtime_error(std::string("isacsim: ") + isacsim_last_error(sim_));
        isacsim_describe(sim_, &desc_);
    }
    void setFrequency(const int dir, const size_t ch, const std::string &, const double freq,
                      const SoapySDR::Kwargs &args) override
    {
        setFrequency(dir, ch, freq, args);
    }
    double getFrequency(const int, const size_t) const override { return desc_.center_freq; }
    double getFrequency(const int, const size_t, const std::string &) const override
    {
        return desc_.center_freq;
    }
    std::vector<std::string> listFrequencies(const int, const size_t) const override
    {
        return {"RF"};
    }
    SoapySDR::RangeList getFrequencyRange(const int, const size_t) const override
    {
        return {SoapySDR::Range(desc_.freq_min, desc_.freq_max)};
    }
    SoapySDR::RangeList getFrequencyRange(const int, const size_t,
                                          const std::string &) const override
    {
        return {SoapySDR::Range(desc_.freq_min, desc_.freq_max)};
    }

    void setSampleRate(const int, const size_t, const double rate) override
    {
        if (std::fabs(rate - desc_.fs) > 1e-9 * desc_.fs)
            throw std::runtime_error("isacsim: the sample rate is fixed by the fs device argument");
    }
    double getSampleRate(const int, const size_t) const override { return desc_.fs; }
    std::vector<double> listSampleRates(const int, const size_t) const override
    {
        return {desc_.fs};
    }
    SoapySDR::RangeList getSampleRateRange(const int, const size_t) const override
    {
        return {SoapySDR::Range(desc_.fs, desc_.fs)};
    }
    void setBandwidth(const int, const size_t, const double bw) override
    {
        if (bw != 0.0 && std::fabs(bw - desc_.fs) > 1e-9 * desc_.fs)
            throw std::runtime_error("isacsim: the bandwidth equals the sample rate (fs)");
    }
    double getBandwidth(const int, const size_t) const override { return desc_.fs; }
    SoapySDR::RangeList getBandwidthRange(const int, const size_t) const override
    {
        return {SoapySDR::Range(desc_.fs, desc_.fs)};
    }

    // ---- clocking and time ----
    std::vector<std::string> listClockSources() const override { return {"internal"}; }
    void setClockSource(const std::string &s) override { only_internal(s); }
    std::string getClockSource() const override { return "internal"; }
    std::vector<std::string> listTimeSources() const override { return {"internal"}; }
    void setTimeSource(const std::string &s) override { only_internal(s); }
    std::string getTimeSource() const override { return "internal"; }
    bool hasHardwareTime(const std::string &what) const override
    {
        return what.empty() || what == "PPS" || what == "UNKNOWN_PPS";
    }
    long long getHardwareTime(const std::string &) const override
    {
        std::lock_guard<std::mutex> lk(mu_);
        return to_ns(isacsim_now(sim_));
    }
    void setHardwareTime(const long long timeNs, const std::string &what) override
    {
        std::lock_guard<std::mutex> lk(mu_);
        if (what == "CMD")
            return; // tuning is instantaneous in the emulator: a command time changes nothing
        // "" (now), "PPS", "UNKNOWN_PPS": the emulator has no PPS, the time is set now.
        offset_ns_ = timeNs - SoapySDR::ticksToTimeNs(isacsim_now(sim_), desc_.fs);
    }

    // ---- sensors and settings ----
    std::vector<std::string> listSensors() const override { return {"sample_tick"}; }
    SoapySDR::ArgInfo getSensorInfo(const std::string &key) const override
    {
        SoapySDR::ArgInfo a;
        a.key = key;
        a.name = "Sample tick";
        a.description = "The emulator's clock: samples since its time origin";
        a.type = SoapySDR::ArgInfo::INT;
        return a;
    }
    std::string readSensor(const std::string &key) const override
    {
        std::lock_guard<std::mutex> lk(mu_);
        if (key != "sample_tick")
            throw std::runtime_error("isacsim: unknown sensor " + key);
        return std::to_string(isacsim_now(sim_));
    }

    SoapySDR::ArgInfoList getSettingInfo() const override
    {
        SoapySDR::ArgInfoList l(3);
        l[0].key = "isactb_layout";
        l[0].type = SoapySDR::ArgInfo::STRING;
        l[0].description = "Array layout and link budget (JSON, read only)";
        l[1].key = "isactb_truth";
        l[1].type = SoapySDR::ArgInfo::STRING;
        l[1].description = "Ground truth of the emulator (JSON, read only)";
        l[2].key = "isactb_episode";
        l[2].type = SoapySDR::ArgInfo::INT;
        l[2].value = "0";
        l[2].description = "Write N: draw the scene of episode N";
        return l;
    }
    void writeSetting(const std::string &key, const std::string &value) override
    {
        std::lock_guard<std::mutex> lk(mu_);
        if (key != "isactb_episode")
            throw std::runtime_error("isacsim: setting " + key + " is not writable");
        char *end = nullptr;
        unsigned long long ep = std::strtoull(value.c_str(), &end, 10);
        if (value.empty() || *end || isacsim_new_episode(sim_, ep) != ISAC_OK)
            throw std::runtime_error("isacsim: isactb_episode=" + value + ": " +
                                     isacsim_last_error(sim_));
        episode_ = ep;
    }
    std::string readSetting(const std::string &key) const override
    {
        std::lock_guard<std::mutex> lk(mu_);
        char *txt = key == "isactb_layout"  ? isacsim_layout_json(sim_)
                    : key == "isactb_truth" ? isacsim_truth_json(sim_)
                                            : nullptr;
        if (key == "isactb_episode")
            return std::to_string(episode_);
        if (!txt)
            throw std::runtime_error("isacsim: cannot read setting " + key);
        std::string s(txt);
        std::free(txt);
        return s;
    }

  private:
    long long to_ns(long long tick) const
    {
        return SoapySDR::ticksToTimeNs(tick, desc_.fs) + offset_ns_;
    }
    long long to_ticks(long long ns) const
    {
        return SoapySDR::timeNsToTicks(ns - offset_ns_, desc_.fs);
    }
    static void only_internal(const std::string &s)
    {
        if (s != "internal")
            throw std::runtime_error("isacsim: the only clock/time source is internal");
    }

    // Render the next window of len samples in one call, only of the stream's channels
    // (the emulator skips the others entirely; the rows are those of a full render).
    int render(Stream *st, size_t len)
    {
        st->win.resize(desc_.num_rx);
        std::vector<float *> y(desc_.num_rx, nullptr);
        for (size_t c : st->chans) {
            st->win[c].resize(len);
            y[c] = reinterpret_cast<float *>(st->win[c].data());
        }
        isacsim_rx_md md{};
        st->win_t0 = st->next_tick;
        int rc = isacsim_rx(sim_, st->win_t0, y.data(), len, &md);
        st->next_tick += (long long)len;
        if (rc == ISAC_ERADIO) {
            st->active = !st->finite;
            return SOAPY_SDR_TIME_ERROR;
        }
        if (rc != ISAC_OK)
            return SOAPY_SDR_STREAM_ERROR;
        st->have_window = true;
        st->win_len = len;
        st->pos = 0;
        st->gap_len = md.dropped_samples;
        st->gap_start = md.dropped_samples ? (size_t)(md.drop_start_tick - st->win_t0) : 0;
        st->gap_overflow = md.overflow != 0;
        st->overflow_reported = false;
        return 0;
    }

    isacsim *sim_ = nullptr;
    isacsim_desc desc_{};
    long long offset_ns_ = 0;
    unsigned long long episode_ = 0;
    mutable std::mutex mu_;
};

// Enumerate only when asked for by driver name: the emulator is not hardware that
// should appear in a plain `SoapySDRUtil --find` or capture "soapy:" specs.
SoapySDR::KwargsList find_isacsim(const SoapySDR::Kwargs &args)
{
    auto it = args.find("driver");
    if (it == args.end() || it->second != kDriver)
        return {};
    SoapySDR::Kwargs dev = args;
    auto seed = args.find("seed");
    std::string serial = "sim-" + (seed == args.end() ? std::string("1") : seed->second);
    dev["serial"] = serial;
    dev["label"] = "isactb channel emulator (" + serial + ")";
    return {dev};
}

SoapySDR::Device *make_isacsim(const SoapySDR::Kwargs &args)
{
    return new IsacsimDevice(args);
}

SoapySDR::Registry registration(kDriver, &find_isacsim, &make_isacsim, SOAPY_SDR_ABI_VERSION);

} // namespace
